// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector/internal/metadata"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector/internal/metadatatest"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

func newTestConnector(t *testing.T, cfg *Config, next consumer.Traces, now func() time.Time) *tracesConnector {
	t.Helper()
	require.NoError(t, cfg.Validate())
	c, err := newConnector(connectortest.NewNopSettings(metadata.Type), cfg, next, now)
	require.NoError(t, err)
	return c
}

func defaultConfig() *Config { return createDefaultConfig().(*Config) }

// TestTelemetry: the counters of the duplicate, eviction and foreign-record
// golden cases.
func TestTelemetry(t *testing.T) {
	run := func(t *testing.T, name string) *componenttest.Telemetry {
		tt := componenttest.NewTelemetry()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		var tc goldenCase
		for _, c := range goldenCases {
			if c.name == name {
				tc = c
			}
		}
		input, err := golden.ReadLogs(filepath.Join("testdata", name, "input.yaml"))
		require.NoError(t, err)
		runCaseWith(t, tc, input, metadatatest.NewSettings(tt))
		return tt
	}
	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}
	reason := func(r string) attribute.Set { return attribute.NewSet(attribute.String("reason", r)) }

	t.Run("duplicates", func(t *testing.T) {
		tt := run(t, "duplicates")
		// The re-sent batch (3 records) and the repeated ResponseComplete.
		metadatatest.AssertEqualConnectorK8sAuditTracesDuplicateRecords(t, tt, []metricdata.DataPoint[int64]{{Value: 4}}, opts...)
		metadatatest.AssertEqualConnectorK8sAuditTracesSpans(t, tt, []metricdata.DataPoint[int64]{{Value: 2}}, opts...)
		metadatatest.AssertEqualConnectorK8sAuditTracesPendingRequests(t, tt, []metricdata.DataPoint[int64]{{Value: 0}}, opts...)
	})
	t.Run("eviction", func(t *testing.T) {
		tt := run(t, "eviction")
		metadatatest.AssertEqualConnectorK8sAuditTracesEvictedRequests(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, opts...)
		metadatatest.AssertEqualConnectorK8sAuditTracesIncompleteSpans(t, tt, []metricdata.DataPoint[int64]{
			{Value: 1, Attributes: reason(reasonEvicted)},
			{Value: 2, Attributes: reason(reasonShutdown)},
		}, append(opts, metricdatatest.IgnoreValue())...)
		metadatatest.AssertEqualConnectorK8sAuditTracesDuplicateRecords(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, opts...)
		metadatatest.AssertEqualConnectorK8sAuditTracesSpans(t, tt, []metricdata.DataPoint[int64]{{Value: 3}}, opts...)
	})
	t.Run("expiry", func(t *testing.T) {
		tt := run(t, "expiry")
		metadatatest.AssertEqualConnectorK8sAuditTracesIncompleteSpans(t, tt, []metricdata.DataPoint[int64]{
			{Value: 3, Attributes: reason(reasonExpired)},
		}, opts...)
		// The late final stages of the expired requests.
		metadatatest.AssertEqualConnectorK8sAuditTracesDuplicateRecords(t, tt, []metricdata.DataPoint[int64]{{Value: 2}}, opts...)
	})
	t.Run("foreign-records", func(t *testing.T) {
		tt := run(t, "foreign-records")
		metadatatest.AssertEqualConnectorK8sAuditTracesSkippedRecords(t, tt, []metricdata.DataPoint[int64]{{Value: 4}}, opts...)
	})
}

func TestIncompleteByReasonValues(t *testing.T) {
	// IgnoreValue above lets the order of data points vary; check the values here.
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	input, err := golden.ReadLogs(filepath.Join("testdata", "eviction", "input.yaml"))
	require.NoError(t, err)
	runCaseWith(t, goldenCase{name: "eviction", cfg: func(c *Config) { c.MaxPending = 2 }}, input, metadatatest.NewSettings(tt))
	m, err := tt.GetMetric("otelcol_connector_k8s_audit_traces_incomplete_spans")
	require.NoError(t, err)
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		r, _ := dp.Attributes.Value("reason")
		got[r.AsString()] = dp.Value
	}
	assert.Equal(t, map[string]int64{reasonEvicted: 1, reasonShutdown: 2}, got)
}

// TestTickerExpires: with no traffic, the ticker started by Start emits
// the expired requests; Shutdown stops it (goleak checks it is gone).
func TestTickerExpires(t *testing.T) {
	cfg := defaultConfig()
	cfg.TTL = 50 * time.Millisecond
	sink := &consumertest.TracesSink{}
	c := newTestConnector(t, cfg, sink, time.Now)
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeLogs(context.Background(), logsOf(t, false, eventJSON(auditID(1), auditevent.StageRequestReceived, 0, 0, 0))))
	assert.Zero(t, sink.SpanCount())
	require.Eventually(t, func() bool { return sink.SpanCount() == 1 }, 5*time.Second, 10*time.Millisecond)
	span := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	reason, _ := span.Attributes().Get(attrIncompleteReason)
	assert.Equal(t, reasonExpired, reason.Str())
	require.NoError(t, c.Shutdown(context.Background()))
	assert.Equal(t, 1, sink.SpanCount(), "nothing left at shutdown")
}

// failOnce refuses the first traces it is given.
type failOnce struct {
	consumertest.TracesSink
	failed bool
}

func (f *failOnce) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if !f.failed {
		f.failed = true
		return errors.New("exporter queue is full")
	}
	return f.TracesSink.ConsumeTraces(ctx, td)
}

// TestRefusedSpansAreMadeAgain: the error goes back to the receiver (which
// answers kube-apiserver 503, and it re-sends the batch); the re-sent
// records then make the span, instead of being dropped as duplicates.
func TestRefusedSpansAreMadeAgain(t *testing.T) {
	next := &failOnce{}
	c := newTestConnector(t, defaultConfig(), next, time.Now)
	batch := logsOf(t, false, eventJSON(auditID(1), auditevent.StageResponseComplete, 0, 5*time.Millisecond, 200))
	require.Error(t, c.ConsumeLogs(context.Background(), batch))
	require.NoError(t, c.ConsumeLogs(context.Background(), batch))
	assert.Equal(t, 1, next.SpanCount())
	require.NoError(t, c.ConsumeLogs(context.Background(), batch))
	assert.Equal(t, 1, next.SpanCount(), "accepted once, then a duplicate")
	require.NoError(t, c.Shutdown(context.Background()))
}

// TestWaitingRequestOutlivesItsBatch: a request still waiting when
// ConsumeLogs returns no longer refers to that batch, which its sender may
// reuse; one that ends within its batch is made from the records as they
// are.
func TestWaitingRequestOutlivesItsBatch(t *testing.T) {
	withExtra := func(ld plog.Logs, v string) plog.Logs {
		ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("only.received", v)
		return ld
	}
	next := new(consumertest.TracesSink)
	c := newTestConnector(t, defaultConfig(), next, time.Now)
	ctx := context.Background()

	// Apart: the first batch is overwritten once it was accepted.
	first := withExtra(logsOf(t, true, eventJSON(auditID(1), auditevent.StageRequestReceived, 0, 0, 0)), "original")
	require.NoError(t, c.ConsumeLogs(ctx, first))
	first.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Clear()
	withExtra(first, "overwritten")
	require.NoError(t, c.ConsumeLogs(ctx, logsOf(t, true, eventJSON(auditID(1), auditevent.StageResponseComplete, 0, 5*time.Millisecond, 200))))

	// Together, in one batch.
	require.NoError(t, c.ConsumeLogs(ctx, withExtra(logsOf(t, true,
		eventJSON(auditID(2), auditevent.StageRequestReceived, 0, 0, 0),
		eventJSON(auditID(2), auditevent.StageResponseComplete, 0, 5*time.Millisecond, 200)), "together")))

	require.Equal(t, 2, next.SpanCount())
	for i, want := range []string{"original", "together"} {
		attrs := next.AllTraces()[i].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
		assert.Equal(t, want, strAttr(attrs, "only.received"))
		assert.Equal(t, auditevent.StageResponseComplete, strAttr(attrs, auditevent.AttrStage), "the final record wins")
		assert.Equal(t, int64(200), intAttr(attrs, auditevent.AttrHTTPStatusCode))
	}
	assert.Empty(t, c.borrowed, "nothing is left borrowed")
	require.NoError(t, c.Shutdown(ctx))
}

// TestConcurrentBatches: kube-apiserver sends batches concurrently; each
// request's stages are split over them and still make exactly one span.
func TestConcurrentBatches(t *testing.T) {
	sink := &consumertest.TracesSink{}
	c := newTestConnector(t, defaultConfig(), sink, time.Now)
	const workers, perWorker = 4, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := w*perWorker + i
				id := auditID(n)
				// Another worker's request's first stage, then this one's last.
				other := auditID((w+1)%workers*perWorker + i)
				_ = c.ConsumeLogs(context.Background(), logsOf(t, false,
					eventJSON(other, auditevent.StageRequestReceived, 0, 0, 0),
					eventJSON(id, auditevent.StageResponseComplete, 0, time.Millisecond, 200)))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, c.Shutdown(context.Background()))
	assert.Equal(t, workers*perWorker, sink.SpanCount())
	seen := map[pcommon.SpanID]bool{}
	for _, td := range sink.AllTraces() {
		forEachSpan(td, func(s ptrace.Span) {
			assert.False(t, seen[s.SpanID()], "one span per request")
			seen[s.SpanID()] = true
		})
	}
}

// TestBadInputNeverCrashes: records that are not, or not quite, what the
// receiver makes are skipped or used for what they say, never a panic.
func TestBadInputNeverCrashes(t *testing.T) {
	stamp := pcommon.NewTimestampFromTime(eventEpoch)
	tests := []struct {
		name  string
		make  func(lr plog.LogRecord)
		spans int
	}{
		{"no attributes", func(plog.LogRecord) {}, 0},
		{"empty audit ID", func(lr plog.LogRecord) { lr.Attributes().PutStr(auditevent.AttrAuditID, "") }, 0},
		{"audit ID not a string", func(lr plog.LogRecord) { lr.Attributes().PutInt(auditevent.AttrAuditID, 1) }, 0},
		{"no stage", func(lr plog.LogRecord) {
			lr.Attributes().PutStr(auditevent.AttrAuditID, "a")
			lr.SetTimestamp(stamp)
		}, 0},
		{"unknown stage", func(lr plog.LogRecord) {
			lr.Attributes().PutStr(auditevent.AttrAuditID, "a")
			lr.Attributes().PutStr(auditevent.AttrStage, "Done")
			lr.SetTimestamp(stamp)
		}, 0},
		{"no stage time", func(lr plog.LogRecord) {
			lr.Attributes().PutStr(auditevent.AttrAuditID, "a")
			lr.Attributes().PutStr(auditevent.AttrStage, auditevent.StageResponseComplete)
		}, 0},
		{"stage from attributes, time from the record, body unreadable", func(lr plog.LogRecord) {
			lr.Attributes().PutStr(auditevent.AttrAuditID, "a")
			lr.Attributes().PutStr(auditevent.AttrStage, auditevent.StageResponseComplete)
			lr.SetTimestamp(stamp)
			lr.Body().SetStr(`{"auditID":"a", truncated`)
		}, 1},
		{"body of the wrong types", func(lr plog.LogRecord) {
			lr.Attributes().PutStr(auditevent.AttrAuditID, "a")
			lr.Attributes().PutStr(auditevent.AttrStage, auditevent.StageResponseComplete)
			lr.Attributes().PutStr(auditevent.AttrHTTPStatusCode, "500")
			lr.SetTimestamp(stamp)
			m := lr.Body().SetEmptyMap()
			m.PutInt("stage", 3)
			m.PutEmptySlice("stageTimestamp")
			m.PutStr("requestReceivedTimestamp", "yesterday")
			m.PutInt("objectRef", 4)
		}, 1},
		{"body bytes", func(lr plog.LogRecord) {
			lr.Attributes().PutStr(auditevent.AttrAuditID, "a")
			lr.Attributes().PutStr(auditevent.AttrStage, auditevent.StagePanic)
			lr.SetTimestamp(stamp)
			lr.Body().SetEmptyBytes().FromRaw([]byte{0xff})
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &consumertest.TracesSink{}
			c := newTestConnector(t, defaultConfig(), sink, time.Now)
			ld := plog.NewLogs()
			tt.make(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
			ld.MarkReadOnly()
			require.NotPanics(t, func() { require.NoError(t, c.ConsumeLogs(context.Background(), ld)) })
			require.NoError(t, c.Shutdown(context.Background()))
			assert.Equal(t, tt.spans, sink.SpanCount())
		})
	}
}

// TestResourcesOfOneBatch: each span stays under the resource its records
// came with.
func TestResourcesOfOneBatch(t *testing.T) {
	sink := &consumertest.TracesSink{}
	c := newTestConnector(t, defaultConfig(), sink, time.Now)
	ld := plog.NewLogs()
	for i, cluster := range []string{"a", "b"} {
		one := logsOf(t, false, eventJSON(auditID(i), auditevent.StageResponseComplete, 0, time.Millisecond, 200))
		one.ResourceLogs().At(0).Resource().Attributes().PutStr(auditevent.AttrClusterName, cluster)
		one.ResourceLogs().At(0).SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
		if cluster == "b" {
			one.ResourceLogs().At(0).Resource().Attributes().PutStr(attrServiceName, "apiserver-b")
		}
		one.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	require.NoError(t, c.ConsumeLogs(context.Background(), ld))
	require.NoError(t, c.Shutdown(context.Background()))
	require.Len(t, sink.AllTraces(), 1, "one batch in, one batch out")
	rss := sink.AllTraces()[0].ResourceSpans()
	require.Equal(t, 2, rss.Len())
	for i, cluster := range []string{"a", "b"} {
		v, _ := rss.At(i).Resource().Attributes().Get(auditevent.AttrClusterName)
		assert.Equal(t, cluster, v.Str())
		assert.Equal(t, "https://opentelemetry.io/schemas/1.26.0", rss.At(i).SchemaUrl())
		assert.Equal(t, 1, rss.At(i).ScopeSpans().At(0).Spans().Len())
	}
	service := func(i int) string { v, _ := rss.At(i).Resource().Attributes().Get(attrServiceName); return v.Str() }
	assert.Equal(t, serviceName, service(0), "added when absent")
	assert.Equal(t, "apiserver-b", service(1), "kept when present")
}

// TestRememberedBound: when max_remembered is reached, the oldest emitted
// requests are forgotten and counted.
func TestRememberedBound(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	cfg := defaultConfig()
	cfg.MaxRemembered = 2
	sink := &consumertest.TracesSink{}
	c, err := newConnector(metadatatest.NewSettings(tt), cfg, sink, time.Now)
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, c.ConsumeLogs(context.Background(), logsOf(t, false, eventJSON(auditID(i), auditevent.StageResponseComplete, 0, time.Millisecond, 200))))
	}
	// The first is forgotten: its copy makes a second span.
	require.NoError(t, c.ConsumeLogs(context.Background(), logsOf(t, false, eventJSON(auditID(0), auditevent.StageResponseComplete, 0, time.Millisecond, 200))))
	require.NoError(t, c.Shutdown(context.Background()))
	assert.Equal(t, 6, sink.SpanCount())
	metadatatest.AssertEqualConnectorK8sAuditTracesForgottenRequests(t, tt, []metricdata.DataPoint[int64]{{Value: 4}},
		metricdatatest.IgnoreTimestamp())
}
