// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
)

// FuzzWebhookHandler posts arbitrary bodies to the webhook handler (seed
// corpus in testdata/fuzz/FuzzWebhookHandler, plus a real kube-apiserver
// batch): it answers 200 with every record forwarded, or 400 with a message
// and nothing forwarded; never anything else, never a panic.
func FuzzWebhookHandler(f *testing.F) {
	if body, err := os.ReadFile("../../../shared/fixtures/kube-apiserver-v1.37/metadata-policy-batch-webhook/webhook/000001.body"); err == nil {
		f.Add(body)
	}
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`))
	sink := new(consumertest.LogsSink)
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), webhookConfig(), sink)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sink.Reset()
		req := httptest.NewRequest(http.MethodPost, defaultPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		r.webhook.handleAudit(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			if rec.Body.Len() == 0 {
				t.Fatal("400 without a message")
			}
			if sink.LogRecordCount() != 0 {
				t.Fatalf("400, yet %d records were forwarded", sink.LogRecordCount())
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
