// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
)

// BenchmarkWebhookHandler is the webhook's cost for one EventList of 400
// generated events, as kube-apiserver batches them: reading the body,
// converting and handing the batch to the pipeline, without the network.
func BenchmarkWebhookHandler(b *testing.B) {
	var list bytes.Buffer
	if err := auditgen.WriteEventLists(&list, 400, 400, auditgen.Options{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	body := list.Bytes()
	for _, format := range []string{BodyFormatStructured, BodyFormatRaw} {
		b.Run(format, func(b *testing.B) {
			cfg := webhookConfig()
			cfg.BodyFormat = format
			r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp := httptest.NewRecorder()
				r.webhook.handleAudit(resp, req)
				if resp.Code != http.StatusOK {
					b.Fatalf("answer %d: %s", resp.Code, resp.Body)
				}
			}
			b.ReportMetric(float64(b.N)*400/b.Elapsed().Seconds(), "events/s")
		})
	}
}
