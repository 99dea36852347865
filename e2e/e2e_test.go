// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the built collector binary against real kube-apiserver
// output: an audit log read by the file source and webhook batches POSTed to
// the webhook source, both exported over OTLP/HTTP to a server in the test.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

const (
	// binaryEnv names the collector binary under test; `make test` sets it.
	binaryEnv = "K8SAUDIT_E2E_BINARY"

	clusterName = "e2e-cluster"
	// sourceAttr is a resource attribute each receiver instance sets to its
	// own name, so that the test knows which source a record came through.
	sourceAttr = "e2e.source"

	startTimeout    = 30 * time.Second
	deliveryTimeout = 60 * time.Second
	stopTimeout     = 20 * time.Second
)

// Attribute names as the receiver writes them (internal/auditevent/attributes.go).
const (
	attrAuditID     = "k8s.audit.id"
	attrStage       = "k8s.audit.stage"
	attrVerb        = "k8s.audit.verb"
	attrUserName    = "user.name"
	attrErrorType   = "error.type"
	attrLogFileName = "log.file.name"
	attrClusterName = "k8s.cluster.name"
)

// repoRoot is the repository root, seen from this package's directory (where
// go test runs the test).
const repoRoot = ".."

// fixtureDir holds real kube-apiserver v1.37.2 output; shared/ sits beside
// the repository checkout.
var fixtureDir = filepath.Join(repoRoot, "..", "shared", "fixtures", "kube-apiserver-v1.37", "metadata-policy-batch-webhook")

const (
	fixtureLog      = "audit-log/audit-2026-11-22T13-29-04.332.log"
	webhookBodies   = 5 // webhook/000001.body … webhook/000005.body
	copiedLogName   = "audit.log"
	sourceFile      = "file"
	sourceWebhook   = "webhook"
	webhookPath     = "/audit"
	webhookHealth   = "/healthz"
	sinkLogsPath    = "/v1/logs"
	maxBodyExpected = 64 << 20
)

// auditEvent is the part of an audit event the test checks, decoded with
// encoding/json independently of the receiver's own decoder.
type auditEvent struct {
	AuditID string `json:"auditID"`
	Stage   string `json:"stage"`
	Verb    string `json:"verb"`
	User    struct {
		Username string `json:"username"`
	} `json:"user"`
}

type recordKey struct {
	source, auditID, stage string
}

type receivedRecord struct {
	resource map[string]any
	attrs    map[string]any
}

func (r receivedRecord) key() recordKey {
	source, _ := r.resource[sourceAttr].(string)
	auditID, _ := r.attrs[attrAuditID].(string)
	stage, _ := r.attrs[attrStage].(string)
	return recordKey{source, auditID, stage}
}

func TestCollectorEndToEnd(t *testing.T) {
	binary := os.Getenv(binaryEnv)
	if binary == "" {
		t.Skipf("%s is not set; `make test` builds the collector and sets it", binaryEnv)
	}
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("%s=%s: %v", binaryEnv, binary, err)
	}
	if _, err := os.Stat(fixtureDir); err != nil {
		abs, _ := filepath.Abs(fixtureDir)
		t.Fatalf("fixtures not found at %s (shared/ must sit beside the repository): %v", abs, err)
	}

	// Expected records, per source, from the inputs themselves.
	expected := map[recordKey]auditEvent{}
	for _, ev := range decodeLogFile(t, filepath.Join(fixtureDir, fixtureLog)) {
		addExpected(t, expected, sourceFile, ev)
	}
	var bodies [][]byte
	for i := 1; i <= webhookBodies; i++ {
		body, err := os.ReadFile(filepath.Join(fixtureDir, "webhook", fmt.Sprintf("%06d.body", i)))
		require.NoError(t, err)
		for _, ev := range decodeEventList(t, body) {
			addExpected(t, expected, sourceWebhook, ev)
		}
		bodies = append(bodies, body)
	}

	dir := t.TempDir()
	logDir := filepath.Join(dir, "audit")
	require.NoError(t, os.Mkdir(logDir, 0o700))
	copyFile(t, filepath.Join(fixtureDir, fixtureLog), filepath.Join(logDir, copiedLogName))

	sink := newLogsSink(t)
	webhookAddr := freeAddr(t)
	configPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(configPath, []byte(collectorConfig(logDir, webhookAddr, sink.url)), 0o600))

	collector := startCollector(t, binary, configPath, filepath.Join(dir, "collector.out"))
	webhookURL := "http://" + webhookAddr
	waitHealthy(t, collector, webhookURL+webhookHealth)

	client := &http.Client{Timeout: 30 * time.Second}
	for i, body := range bodies {
		// kube-apiserver's webhook backend adds ?timeout=30s to the path.
		req, err := http.NewRequest(http.MethodPost, webhookURL+webhookPath+"?timeout=30s", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		require.NoError(t, err, "webhook POST %d", i+1)
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "webhook POST %d answered %q", i+1, answer)
	}

	require.Eventually(t, func() bool {
		return len(sink.missing(expected)) == 0
	}, deliveryTimeout, 100*time.Millisecond, "records still missing after %s", deliveryTimeout)

	collector.stop(t)

	// Everything sent before the stop has arrived: check what did. Problems
	// are collected rather than asserted one by one, so that a broken binary
	// does not print a failure per record.
	records := sink.snapshot()
	counts := map[recordKey]int{}
	var problems []string
	for _, rec := range records {
		key := rec.key()
		counts[key]++
		if got := rec.resource[attrClusterName]; got != clusterName {
			problems = append(problems, fmt.Sprintf("%v: resource %s = %v", key, attrClusterName, got))
		}
		if got, ok := rec.attrs[attrErrorType]; ok {
			problems = append(problems, fmt.Sprintf("%v: %s = %v (%v)", key, attrErrorType, got, rec.attrs))
		}
		want, ok := expected[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("%v: not in the input", key))
			continue
		}
		if got := rec.attrs[attrVerb]; got != want.Verb {
			problems = append(problems, fmt.Sprintf("%v: %s = %v, want %q", key, attrVerb, got, want.Verb))
		}
		if got, ok := rec.attrs[attrUserName]; want.User.Username != "" && got != want.User.Username || want.User.Username == "" && ok {
			problems = append(problems, fmt.Sprintf("%v: %s = %v, want %q", key, attrUserName, got, want.User.Username))
		}
		if got := rec.attrs[attrLogFileName]; key.source == sourceFile && got != copiedLogName {
			problems = append(problems, fmt.Sprintf("%v: %s = %v, want %q", key, attrLogFileName, got, copiedLogName))
		}
	}
	for key := range expected {
		if counts[key] != 1 {
			problems = append(problems, fmt.Sprintf("%v: arrived %d times, want once", key, counts[key]))
		}
	}
	assert.Empty(t, problems[:min(len(problems), 20)], "%d problems, the first 20 shown", len(problems))
	assert.Len(t, records, len(expected))

	// Known records, checked against values read by eye from the fixtures.
	samples := []struct {
		key            recordKey
		verb, userName string
	}{
		{recordKey{sourceFile, "131dc49d-93b9-4937-b940-eaf0ed1dd666", "RequestReceived"}, "watch", "system:kube-controller-manager"},
		{recordKey{sourceWebhook, "224801a5-1c0a-424a-8c12-a1ca86ff205d", "RequestReceived"}, "watch", "system:apiserver"},
	}
	for _, sample := range samples {
		require.Contains(t, expected, sample.key)
		for _, rec := range records {
			if rec.key() == sample.key {
				assert.Equal(t, sample.verb, rec.attrs[attrVerb], "%v", sample.key)
				assert.Equal(t, sample.userName, rec.attrs[attrUserName], "%v", sample.key)
				assert.Equal(t, clusterName, rec.resource[attrClusterName], "%v", sample.key)
			}
		}
	}
}

func addExpected(t *testing.T, expected map[recordKey]auditEvent, source string, ev auditEvent) {
	t.Helper()
	require.NotEmpty(t, ev.AuditID)
	require.NotEmpty(t, ev.Stage)
	key := recordKey{source, ev.AuditID, ev.Stage}
	require.NotContains(t, expected, key, "input repeats (auditID, stage)")
	expected[key] = ev
}

// decodeLogFile reads the log backend's JSON lines.
func decodeLogFile(t *testing.T, path string) []auditEvent {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var events []auditEvent
	dec := json.NewDecoder(f)
	for {
		var ev auditEvent
		err := dec.Decode(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "decoding %s", path)
		events = append(events, ev)
	}
	require.NotEmpty(t, events)
	return events
}

// decodeEventList reads a webhook batch.
func decodeEventList(t *testing.T, body []byte) []auditEvent {
	t.Helper()
	var list struct {
		Kind  string       `json:"kind"`
		Items []auditEvent `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	require.Equal(t, "EventList", list.Kind)
	require.NotEmpty(t, list.Items)
	return list.Items
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	// kube-apiserver writes its audit log with mode 0600.
	require.NoError(t, os.WriteFile(to, data, 0o600))
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func collectorConfig(logDir, webhookAddr, sinkURL string) string {
	return fmt.Sprintf(`receivers:
  k8s_audit/file:
    file:
      include: [%[1]q]
      start_at: beginning
      poll_interval: 50ms
    resource_attributes:
      %[4]s: %[5]s
      %[6]s: %[7]s
  k8s_audit/webhook:
    webhook:
      endpoint: %[2]q
      path: %[8]s
      health_path: %[9]s
    resource_attributes:
      %[4]s: %[5]s
      %[6]s: %[10]s

exporters:
  otlp_http:
    endpoint: %[3]q
    # Send synchronously: a webhook POST is answered once its events are
    # delivered, and nothing waits in a queue at shutdown.
    sending_queue:
      enabled: false
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s

service:
  pipelines:
    logs:
      receivers: [k8s_audit/file, k8s_audit/webhook]
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`, filepath.Join(logDir, "*.log"), webhookAddr, sinkURL,
		attrClusterName, clusterName, sourceAttr, sourceFile,
		webhookPath, webhookHealth, sourceWebhook)
}

// logsSink is an OTLP/HTTP logs endpoint that keeps what it receives.
type logsSink struct {
	url string

	mu      sync.Mutex
	records []receivedRecord
	seen    map[recordKey]bool
}

func newLogsSink(t *testing.T) *logsSink {
	s := &logsSink{seen: map[recordKey]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc(sinkLogsPath, s.handle)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *logsSink) handle(w http.ResponseWriter, r *http.Request) {
	req := plogotlp.NewExportRequest()
	if !readOTLP(w, r, req.UnmarshalProto) {
		return
	}
	s.add(req.Logs())
	replyOTLP(w, plogotlp.NewExportResponse().MarshalProto)
}

func (s *logsSink) add(logs plog.Logs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < logs.ResourceLogs().Len(); i++ {
		rl := logs.ResourceLogs().At(i)
		resource := rl.Resource().Attributes().AsRaw()
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				rec := receivedRecord{resource: resource, attrs: lrs.At(k).Attributes().AsRaw()}
				s.records = append(s.records, rec)
				s.seen[rec.key()] = true
			}
		}
	}
}

func (s *logsSink) missing(expected map[recordKey]auditEvent) []recordKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []recordKey
	for key := range expected {
		if !s.seen[key] {
			missing = append(missing, key)
		}
	}
	return missing
}

func (s *logsSink) snapshot() []receivedRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedRecord(nil), s.records...)
}

// collectorProcess is the binary under test, running.
type collectorProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // the result of Wait, valid once done is closed
}

func startCollector(t *testing.T, binary, configPath, outputPath string) *collectorProcess {
	t.Helper()
	out, err := os.Create(outputPath)
	require.NoError(t, err)
	// Show what the collector said when the test fails. Registered before
	// the process's own cleanup, so it runs after the process has stopped.
	t.Cleanup(func() {
		out.Close()
		if t.Failed() {
			data, _ := os.ReadFile(outputPath)
			t.Logf("collector output:\n%s", data)
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "--config", configPath)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Dir = filepath.Dir(configPath)
	require.NoError(t, cmd.Start())

	p := &collectorProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		// Kill the process if the test ended before stop.
		cancel()
		<-p.done
	})
	return p
}

func (p *collectorProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and expects a clean exit within stopTimeout.
func (p *collectorProcess) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
		require.NoError(t, p.err, "collector exit after SIGTERM")
	case <-time.After(stopTimeout):
		t.Fatalf("collector still running %s after SIGTERM", stopTimeout)
	}
}

func waitHealthy(t *testing.T, p *collectorProcess, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	require.Eventually(t, func() bool {
		if p.exited() {
			return true // fail below, without waiting out the timeout
		}
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, startTimeout, 50*time.Millisecond, "webhook health path %s", url)
	require.False(t, p.exited(), "collector exited during start-up: %v", p.err)
}
