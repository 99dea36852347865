// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/util/wait"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/audit"
	auditwebhook "k8s.io/apiserver/plugin/pkg/audit/webhook"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadatatest"
)

func webhookConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Webhook.GetOrInsertDefault().NetAddr.Endpoint = "127.0.0.1:0"
	return cfg
}

func withMTLS(cfg *Config, pki testPKI) *Config {
	cfg.Webhook.Get().TLS = configoptional.Some(configtls.ServerConfig{
		Config:       configtls.Config{CertFile: pki.serverCert, KeyFile: pki.serverKey},
		ClientCAFile: pki.clientCA,
	})
	return cfg
}

func webhookURL(r *auditReceiver, scheme string) string {
	return scheme + "://" + r.webhook.addr.String()
}

// apiserverWebhook is kube-apiserver's own audit webhook backend, configured
// from a kubeconfig as --audit-webhook-config-file would be, with a short
// retry backoff (kube-apiserver's --audit-webhook-initial-backoff is 10 s).
func apiserverWebhook(t *testing.T, server string, pki testPKI, clientCert, clientKey string) audit.Backend {
	t.Helper()
	return apiserverWebhookBackoff(t, server, pki, clientCert, clientKey,
		wait.Backoff{Duration: 20 * time.Millisecond, Factor: 1.5, Jitter: 0.1, Steps: 5})
}

func apiserverWebhookBackoff(t *testing.T, server string, pki testPKI, clientCert, clientKey string, backoff wait.Backoff) audit.Backend {
	t.Helper()
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: otelcol-k8saudit
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: kube-apiserver
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: default
  context:
    cluster: otelcol-k8saudit
    user: kube-apiserver
current-context: default
`, server, pki.serverCA, clientCert, clientKey)
	path := filepath.Join(t.TempDir(), "audit-webhook.kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(kubeconfig), 0o600))
	backend, err := auditwebhook.NewBackend(path, auditv1.SchemeGroupVersion, backoff, nil)
	require.NoError(t, err)
	return backend
}

// mtlsClient is an HTTPS client that trusts the server's CA and presents
// the given client certificate.
func mtlsClient(t *testing.T, pki testPKI, certFile, keyFile string) *http.Client {
	t.Helper()
	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(pki.serverCA)
	require.NoError(t, err)
	roots.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: roots}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func TestWebhookReceivesAPIServerBatchesOverMTLS(t *testing.T) {
	pki := newTestPKI(t)
	cfg := withMTLS(webhookConfig(), pki)
	cfg.ResourceAttributes = map[string]string{auditevent.AttrClusterName: "prod"}
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, cfg, componenttest.NewNopHost(), sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

	backend := apiserverWebhook(t, webhookURL(r, "https")+defaultPath, pki, pki.clientCert, pki.clientKey)
	var want []recordKey
	for batch := 0; batch < 3; batch++ {
		var events []*auditinternal.Event
		for i := batch * 400; i < (batch+1)*400; i++ {
			stage := auditinternal.StageResponseComplete
			if i%2 == 0 {
				stage = auditinternal.StageRequestReceived
			}
			events = append(events, testEvent(i, stage, 0))
			want = append(want, recordKey{testAuditID(i), string(stage)})
		}
		require.True(t, backend.ProcessEvents(events...), "batch %d refused", batch)
	}
	// Every batch was acknowledged only after the pipeline took it, so all
	// records are in the sink already.
	assert.Equal(t, len(want), sink.LogRecordCount())
	assertEachOnce(t, sink, want)

	ld := sink.AllLogs()[0]
	cluster, _ := ld.ResourceLogs().At(0).Resource().Attributes().Get(auditevent.AttrClusterName)
	assert.Equal(t, "prod", cluster.Str())
	attrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Attributes().AsRaw()
	assert.Equal(t, "update", attrs[auditevent.AttrVerb])
	assert.Equal(t, "configmaps", attrs[auditevent.AttrResource])
	assert.Equal(t, "system:serviceaccount:kube-system:replicaset-controller", attrs[auditevent.AttrUserName])
	assert.Equal(t, "allow", attrs[auditevent.AttrAuthzDecision])
	assert.EqualValues(t, 200, attrs[auditevent.AttrHTTPStatusCode])
}

func TestWebhookRefusesClientsWithoutTrustedCertificate(t *testing.T) {
	pki := newTestPKI(t)
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, withMTLS(webhookConfig(), pki), componenttest.NewNopHost(), sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
	url := webhookURL(r, "https") + defaultPath

	backend := apiserverWebhook(t, url, pki, pki.otherClientCert, pki.otherClientKey)
	assert.False(t, backend.ProcessEvents(testEvent(1, auditinternal.StageResponseComplete, 0)),
		"a certificate from an untrusted CA must be refused")

	noCert := mtlsClient(t, pki, "", "")
	resp, err := noCert.Post(url, "application/json", strings.NewReader(`{"kind":"EventList","items":[]}`))
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "a client without a certificate must be refused")
	assert.Zero(t, sink.LogRecordCount())
}

// A refusing pipeline makes kube-apiserver's backend retry; once the pipeline
// takes the batch, every event arrives, once.
func TestWebhookAPIServerRetriesUntilAccepted(t *testing.T) {
	pki := newTestPKI(t)
	next := &flakyConsumer{refusals: 2, err: errors.New("sending queue is full")}
	r := startReceiver(t, withMTLS(webhookConfig(), pki), componenttest.NewNopHost(), nil, nil, withConsumer(next))
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

	backend := apiserverWebhook(t, webhookURL(r, "https")+defaultPath, pki, pki.clientCert, pki.clientKey)
	var events []*auditinternal.Event
	var want []recordKey
	for i := 0; i < 50; i++ {
		events = append(events, testEvent(i, auditinternal.StageResponseComplete, 0))
		want = append(want, recordKey{testAuditID(i), auditevent.StageResponseComplete})
	}
	require.True(t, backend.ProcessEvents(events...))
	assert.EqualValues(t, 3, next.calls.Load(), "two refusals, then accepted")
	assertEachOnce(t, &next.sink, want)
}

type flakyConsumer struct {
	refusals int64
	err      error
	calls    atomic.Int64
	sink     consumertest.LogsSink
}

func (c *flakyConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *flakyConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.calls.Add(1) <= c.refusals {
		return c.err
	}
	return c.sink.ConsumeLogs(ctx, ld)
}

const (
	eventJSON   = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%s","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"alice"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-22T13:29:04.332100Z","stageTimestamp":"2026-11-22T13:29:04.340200Z"}`
	itemJSON    = `{"level":"Metadata","auditID":"%s","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2026-11-22T13:29:04.332100Z","stageTimestamp":"2026-11-22T13:29:04.340200Z"}`
	v1beta1Item = `{"level":"Metadata","timestamp":"2019-01-01T00:00:00Z","auditID":"%s","stage":"ResponseComplete","verb":"get","metadata":{"creationTimestamp":"2019-01-01T00:00:00Z"}}`
)

func eventList(apiVersion string, items ...string) string {
	return fmt.Sprintf(`{"kind":"EventList","apiVersion":%q,"metadata":{},"items":[%s]}`, apiVersion, strings.Join(items, ","))
}

func gzipped(s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return buf.String()
}

func TestWebhookAnswers(t *testing.T) {
	retryable := errors.New("queue full")
	tests := []struct {
		name           string
		method         string
		path           string
		contentType    string
		encoding       string
		body           string
		consumerErr    error
		wantStatus     int
		wantBody       string // a substring of the answer
		wantRecords    int
		wantMalformed  int64
		wantRetryAfter bool
	}{
		{name: "eventlist v1", body: eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, "a"), fmt.Sprintf(itemJSON, "b")), wantStatus: 200, wantRecords: 2},
		{name: "eventlist v1beta1", body: eventList("audit.k8s.io/v1beta1", fmt.Sprintf(v1beta1Item, "a")), wantStatus: 200, wantRecords: 1},
		{name: "path with timeout query as client-go sends it", path: defaultPath + "?timeout=30s", body: eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, "a")), wantStatus: 200, wantRecords: 1},
		{name: "single event", body: fmt.Sprintf(eventJSON, "a"), wantStatus: 200, wantRecords: 1},
		{name: "array of events", body: "[" + fmt.Sprintf(eventJSON, "a") + "," + fmt.Sprintf(eventJSON, "b") + "]", wantStatus: 200, wantRecords: 2},
		{name: "content type with charset", contentType: "application/json; charset=utf-8", body: fmt.Sprintf(eventJSON, "a"), wantStatus: 200, wantRecords: 1},
		{name: "gzip body", encoding: "gzip", body: gzipped(eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, "a"))), wantStatus: 200, wantRecords: 1},
		{name: "empty eventlist", body: eventList("audit.k8s.io/v1"), wantStatus: 200},
		{
			name:       "one bad item among good ones is forwarded as a bad-input record",
			body:       eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, "a"), `{"level":"Metadata","stage":"ResponseComplete"}`, fmt.Sprintf(itemJSON, "c")),
			wantStatus: 200, wantRecords: 3, wantMalformed: 1,
		},
		{name: "wrong method", method: http.MethodGet, wantStatus: 405, wantBody: "method GET not allowed"},
		{name: "wrong content type", contentType: "application/yaml", body: "kind: EventList", wantStatus: 415, wantBody: "send application/json"},
		{name: "no content type", contentType: "-", body: "{}", wantStatus: 415},
		{name: "truncated json", body: `{"kind":"EventList","items":[{"auditID":"a"`, wantStatus: 400, wantBody: "unexpected end of input"},
		{name: "not json", body: "hello", wantStatus: 400, wantBody: "must be a JSON object"},
		{name: "empty body", body: "", wantStatus: 400, wantBody: "empty body"},
		{name: "wrong kind", body: `{"kind":"PodList","apiVersion":"v1","items":[]}`, wantStatus: 400, wantBody: `kind "PodList"`},
		{name: "wrong apiVersion", body: eventList("audit.k8s.io/v2", fmt.Sprintf(itemJSON, "a")), wantStatus: 400, wantBody: `apiVersion "audit.k8s.io/v2" is not supported`},
		{name: "items not an array", body: `{"kind":"EventList","items":{}}`, wantStatus: 400, wantBody: "items must be an array"},
		{name: "body over the limit", body: eventList("audit.k8s.io/v1", fmt.Sprintf(itemJSON, strings.Repeat("x", 2<<20))), wantStatus: 413, wantBody: "max_request_body_size"},
		{
			name: "retryable pipeline error", body: fmt.Sprintf(eventJSON, "a"), consumerErr: retryable,
			wantStatus: 503, wantBody: "queue full", wantRetryAfter: true,
		},
		{
			name: "resource exhaustion, as memory_limiter refuses", body: fmt.Sprintf(eventJSON, "a"),
			consumerErr: status.Error(codes.ResourceExhausted, "memory limit exceeded"),
			wantStatus:  429, wantBody: "memory limit exceeded", wantRetryAfter: true,
		},
		{name: "permanent pipeline error", body: fmt.Sprintf(eventJSON, "a"), consumerErr: consumererror.NewPermanent(errors.New("bad data")), wantStatus: 500, wantBody: "bad data"},
		{name: "health", method: http.MethodGet, path: defaultHealth, wantStatus: 200, wantBody: "ok"},
		{name: "health wrong method", method: http.MethodPost, path: defaultHealth, wantStatus: 405},
		{name: "unknown path", method: http.MethodPost, path: "/other", body: "{}", wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := webhookConfig()
			cfg.Webhook.Get().MaxRequestBodySize = 1 << 20
			tt := componenttest.NewTelemetry()
			defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
			sink := new(consumertest.LogsSink)
			var opts []receiverOption
			if tc.consumerErr != nil {
				opts = append(opts, withConsumer(consumertest.NewErr(tc.consumerErr)))
			}
			r := startReceiver(t, cfg, componenttest.NewNopHost(), sink, tt, opts...)
			defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

			method, path, ct := tc.method, tc.path, tc.contentType
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = defaultPath
			}
			if ct == "" {
				ct = "application/json"
			}
			req, err := http.NewRequest(method, webhookURL(r, "http")+path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if ct != "-" {
				req.Header.Set("Content-Type", ct)
			}
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Do(req)
			require.NoError(t, err)
			answer, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())

			assert.Equal(t, tc.wantStatus, resp.StatusCode, "answer: %s", answer)
			assert.Contains(t, string(answer), tc.wantBody)
			if tc.wantRetryAfter {
				assert.Equal(t, retryAfterSeconds, resp.Header.Get("Retry-After"))
			} else {
				assert.Empty(t, resp.Header.Get("Retry-After"))
			}
			if method == http.MethodGet && path == defaultPath {
				assert.Equal(t, http.MethodPost, resp.Header.Get("Allow"))
			}
			assert.Equal(t, tc.wantRecords, sink.LogRecordCount())
			if tc.wantMalformed > 0 {
				metadatatest.AssertEqualReceiverK8sAuditMalformedEvents(t, tt,
					[]metricdata.DataPoint[int64]{{Value: tc.wantMalformed}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
			}
			if tc.wantStatus >= 400 && tc.wantStatus != 404 && path == defaultPath {
				metadatatest.AssertEqualReceiverK8sAuditWebhookRejectedRequests(t, tt,
					[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
			}
		})
	}
}

var _ component.Host = hostWithExtensions(nil)
