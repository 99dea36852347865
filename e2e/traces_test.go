// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

const (
	sinkTracesPath       = "/v1/traces"
	attrSpanIncomplete   = "k8s.audit.span.incomplete"
	attrIncompleteReason = "k8s.audit.span.incomplete_reason"
)

// timedEvent is an audit event's identity and timestamps, decoded with
// encoding/json independently of the collector.
type timedEvent struct {
	AuditID         string    `json:"auditID"`
	Stage           string    `json:"stage"`
	RequestReceived time.Time `json:"requestReceivedTimestamp"`
	StageTime       time.Time `json:"stageTimestamp"`
	unauthenticated bool      // answered 401
}

// TestTracesEndToEnd runs the binary with receiver → k8s_audit processor →
// k8s_audit_traces connector → OTLP/HTTP, over a real kube-apiserver audit
// log: one span per request, timed by the events, with the IDs of the
// request's log records.
func TestTracesEndToEnd(t *testing.T) {
	binary := os.Getenv(binaryEnv)
	if binary == "" {
		t.Skipf("%s is not set; `make test` builds the collector and sets it", binaryEnv)
	}
	components, err := exec.Command(binary, "components").CombinedOutput()
	require.NoError(t, err, "%s components: %s", binary, components)
	for _, c := range [][2]string{{"connectors", "k8s_audit_traces"}, {"processors", "k8s_audit"}} {
		if !hasComponent(string(components), c[0], c[1]) {
			t.Skipf("%s has no %s %s", binary, c[1], c[0])
		}
	}

	// The requests of the log, by audit ID.
	logPath := filepath.Join(fixtureDir, fixtureLog)
	requests := map[string][]timedEvent{}
	for _, ev := range decodeTimedEvents(t, logPath) {
		requests[ev.AuditID] = append(requests[ev.AuditID], ev)
	}
	ended := 0
	for _, evs := range requests {
		if _, ok := finalStage(evs); ok {
			ended++
		}
	}
	require.NotZero(t, ended)

	dir := t.TempDir()
	logDir := filepath.Join(dir, "audit")
	require.NoError(t, os.Mkdir(logDir, 0o700))
	copyFile(t, logPath, filepath.Join(logDir, copiedLogName))

	sink := newSignalSink(t)
	configPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(configPath, []byte(tracesConfig(logDir, sink.url)), 0o600))
	collector := startCollector(t, binary, configPath, filepath.Join(dir, "collector.out"))

	var stageRecords int
	for _, evs := range requests {
		stageRecords += len(evs)
	}
	// The requests that ended are emitted as their last stage is read; every
	// stage's record reaches the logs exporter too. Stopping before both have
	// arrived would cut exports short.
	require.Eventually(t, func() bool {
		return collector.exited() || sink.spanCount() >= ended && sink.recordCount() >= stageRecords
	}, deliveryTimeout, 50*time.Millisecond, "spans of the %d requests that ended and %d log records", ended, stageRecords)
	require.False(t, collector.exited(), "collector exited: %v", collector.err)
	// The others (open watches at the end of the log) are emitted at shutdown.
	collector.stop(t)

	spans, records := sink.snapshot()
	assert.Len(t, spans, len(requests), "one span per request")
	byID := map[string]ptrace.Span{}
	for _, span := range spans {
		id, _ := span.Attributes().Get(attrAuditID)
		require.NotContains(t, byID, id.Str(), "a second span for a request")
		byID[id.Str()] = span
	}
	incomplete := 0
	for id, evs := range requests {
		span, ok := byID[id]
		if !assert.True(t, ok, "no span for %s", id) {
			continue
		}
		assert.Equal(t, ptrace.SpanKindServer, span.Kind())
		assert.Equal(t, evs[0].RequestReceived, span.StartTimestamp().AsTime(), "span of %s starts at requestReceivedTimestamp", id)
		assert.Equal(t, len(evs), span.Events().Len(), "one span event per stage of %s", id)
		final, ended := finalStage(evs)
		_, marked := span.Attributes().Get(attrSpanIncomplete)
		switch {
		case ended:
			assert.Equal(t, final.StageTime, span.EndTimestamp().AsTime(), "span of %s ends at its last stage", id)
			assert.False(t, marked, "span of %s is complete", id)
		default:
			incomplete++
			assert.True(t, marked, "span of %s, which never ended, is marked incomplete", id)
			reason, _ := span.Attributes().Get(attrIncompleteReason)
			assert.Equal(t, "shutdown", reason.Str())
		}
		require.NotEmpty(t, records[id], "log records of %s", id)
		for _, lr := range records[id] {
			assert.Equal(t, lr.TraceID(), span.TraceID(), "log record and span of %s share the trace ID", id)
			assert.Equal(t, lr.SpanID(), span.SpanID(), "log record and span of %s share the span ID", id)
		}
	}
	assert.Equal(t, len(requests)-ended, incomplete)
	var got int
	for _, lrs := range records {
		got += len(lrs)
	}
	assert.Equal(t, stageRecords, got, "every stage's log record still goes to the logs exporter")
}

// finalStage is the ResponseComplete or Panic event of a request, or its
// ResponseStarted when kube-apiserver refused it before authorization
// (401): it logs no later stage of those.
func finalStage(evs []timedEvent) (timedEvent, bool) {
	for _, ev := range evs {
		if ev.Stage == "ResponseComplete" || ev.Stage == "Panic" {
			return ev, true
		}
	}
	if len(evs) == 1 && evs[0].Stage == "ResponseStarted" && evs[0].unauthenticated {
		return evs[0], true
	}
	return timedEvent{}, false
}

// hasComponent reads the output of `components`: a YAML map from kind to a
// list of "- name: <name>" entries.
func hasComponent(out, kind, name string) bool {
	inKind := false
	for _, line := range strings.Split(out, "\n") {
		if line != "" && line[0] != ' ' {
			inKind = line == kind+":"
			continue
		}
		if inKind && strings.TrimSpace(line) == "- name: "+name {
			return true
		}
	}
	return false
}

func decodeTimedEvents(t *testing.T, path string) []timedEvent {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var events []timedEvent
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var raw struct {
			timedEvent
			ResponseStatus struct {
				Code int `json:"code"`
			} `json:"responseStatus"`
		}
		require.NoError(t, dec.Decode(&raw))
		ev := raw.timedEvent
		ev.unauthenticated = raw.ResponseStatus.Code == http.StatusUnauthorized
		events = append(events, ev)
	}
	require.NotEmpty(t, events)
	return events
}

func tracesConfig(logDir, sinkURL string) string {
	return fmt.Sprintf(`receivers:
  k8s_audit:
    file:
      include: [%[1]q]
      start_at: beginning
      poll_interval: 50ms
    resource_attributes:
      %[3]s: %[4]s

processors:
  k8s_audit:

connectors:
  k8s_audit_traces:

exporters:
  otlp_http:
    endpoint: %[2]q
    sending_queue:
      enabled: false
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s

service:
  pipelines:
    logs:
      receivers: [k8s_audit]
      processors: [k8s_audit]
      exporters: [otlp_http, k8s_audit_traces]
    traces:
      receivers: [k8s_audit_traces]
      exporters: [otlp_http]
  telemetry:
    metrics:
      level: none
`, filepath.Join(logDir, "*.log"), sinkURL, attrClusterName, clusterName)
}

// signalSink is an OTLP/HTTP endpoint for logs and traces that keeps the
// spans and the log records (by audit ID) it receives.
type signalSink struct {
	url string

	mu      sync.Mutex
	spans   []ptrace.Span
	records map[string][]plog.LogRecord
}

func newSignalSink(t *testing.T) *signalSink {
	s := &signalSink{records: map[string][]plog.LogRecord{}}
	mux := http.NewServeMux()
	mux.HandleFunc(sinkLogsPath, func(w http.ResponseWriter, r *http.Request) {
		req := plogotlp.NewExportRequest()
		if !readOTLP(w, r, req.UnmarshalProto) {
			return
		}
		s.addLogs(req.Logs())
		replyOTLP(w, plogotlp.NewExportResponse().MarshalProto)
	})
	mux.HandleFunc(sinkTracesPath, func(w http.ResponseWriter, r *http.Request) {
		req := ptraceotlp.NewExportRequest()
		if !readOTLP(w, r, req.UnmarshalProto) {
			return
		}
		s.addTraces(req.Traces())
		replyOTLP(w, ptraceotlp.NewExportResponse().MarshalProto)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func readOTLP(w http.ResponseWriter, r *http.Request, unmarshal func([]byte) error) bool {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return false
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, maxBodyExpected)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		defer zr.Close()
		body = zr
	}
	data, err := io.ReadAll(body)
	if err == nil {
		err = unmarshal(data)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func replyOTLP(w http.ResponseWriter, marshal func() ([]byte, error)) {
	out, err := marshal()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (s *signalSink) addLogs(ld plog.Logs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				id, ok := lr.Attributes().Get(attrAuditID)
				if !ok || id.Type() != pcommon.ValueTypeStr {
					continue
				}
				s.records[id.Str()] = append(s.records[id.Str()], lr)
			}
		}
	}
}

func (s *signalSink) addTraces(td ptrace.Traces) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				s.spans = append(s.spans, span)
			}
		}
	}
}

func (s *signalSink) spanCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spans)
}

func (s *signalSink) snapshot() ([]ptrace.Span, map[string][]plog.LogRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	records := make(map[string][]plog.LogRecord, len(s.records))
	for id, lrs := range s.records {
		records[id] = append([]plog.LogRecord(nil), lrs...)
	}
	return append([]ptrace.Span(nil), s.spans...), records
}

func (s *signalSink) recordCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, lrs := range s.records {
		n += len(lrs)
	}
	return n
}
