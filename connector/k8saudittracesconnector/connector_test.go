// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector/internal/metadata"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// goldenCase feeds testdata/<name>/input.yaml to the connector, one
// ResourceLogs per ConsumeLogs call (a batch), then shuts it down, and
// compares every span it emitted with testdata/<name>/expected.yaml.
type goldenCase struct {
	name string
	cfg  func(*Config)
	// advance is how far the arrival clock moves after batch i (1 s when
	// absent); the expiry the ticker runs follows each move.
	advance map[int]time.Duration
	spans   int
}

var goldenCases = []goldenCase{
	{
		// Every combination of stages a request can be logged with: each
		// that ends is emitted when it ends, the others when they expire.
		name:    "stage-combinations",
		advance: map[int]time.Duration{2: defaultTTL},
		spans:   11,
	},
	{
		// A watch: RequestReceived and ResponseStarted, ResponseComplete 40
		// minutes later; nothing is emitted before.
		name:    "watch",
		advance: map[int]time.Duration{0: 40 * time.Minute},
		spans:   1,
	},
	{
		name:    "watch-without-requestreceived",
		advance: map[int]time.Duration{0: 59 * time.Minute},
		spans:   1,
	},
	{
		// A ResponseComplete before its RequestReceived is emitted at once,
		// the late RequestReceived dropped; an earlier stage arriving after
		// a later one does not overwrite its attributes.
		name:  "out-of-order",
		spans: 2,
	},
	{
		// kube-apiserver re-sends a whole batch; a stage twice in a batch.
		name:  "duplicates",
		spans: 2,
	},
	{
		// Requests that wait longer than the TTL are emitted incomplete; their
		// late final stages are dropped.
		name:    "expiry",
		cfg:     func(c *Config) { c.TTL = time.Minute },
		advance: map[int]time.Duration{0: 2 * time.Minute},
		spans:   3,
	},
	{
		// max_pending reached: the oldest is emitted incomplete; the others
		// are emitted incomplete at shutdown.
		name:  "eviction",
		cfg:   func(c *Config) { c.MaxPending = 2 },
		spans: 3,
	},
	{name: "status", spans: 7},
	{name: "naming", spans: 5},
	{name: "raw-body", spans: 1},
	{name: "behind-processor", spans: 3},
	{name: "foreign-records", spans: 1},
	{name: "resources", spans: 3},
}

var testEpoch = time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			input, err := golden.ReadLogs(filepath.Join("testdata", tc.name, "input.yaml"))
			require.NoError(t, err)
			got := runCase(t, tc, input)
			assert.Equal(t, tc.spans, got.SpanCount())

			expectedFile := filepath.Join("testdata", tc.name, "expected.yaml")
			// golden.WriteTraces(t, expectedFile, got)
			expected, err := golden.ReadTraces(expectedFile)
			require.NoError(t, err)
			require.NoError(t, ptracetest.CompareTraces(expected, got))
		})
	}
}

// TestSpansCorrelateWithLogs: over every golden input, one span per
// request, with the trace and span IDs of the request's log records.
func TestSpansCorrelateWithLogs(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			input, err := golden.ReadLogs(filepath.Join("testdata", tc.name, "input.yaml"))
			require.NoError(t, err)
			records := map[string][]plog.LogRecord{}
			forEachRecord(input, func(lr plog.LogRecord) {
				if id := strAttr(lr.Attributes(), auditevent.AttrAuditID); id != "" {
					records[id] = append(records[id], lr)
				}
			})
			got := runCase(t, tc, input)
			require.Equal(t, len(records), got.SpanCount(), "one span per request")
			seen := map[string]bool{}
			forEachSpan(got, func(span ptrace.Span) {
				id := strAttr(span.Attributes(), auditevent.AttrAuditID)
				require.NotEmpty(t, records[id], "span of an unknown request %q", id)
				assert.False(t, seen[id], "a second span for %s", id)
				seen[id] = true
				traceID, spanID := auditevent.RequestIDs(id)
				assert.Equal(t, traceID, span.TraceID())
				assert.Equal(t, spanID, span.SpanID())
				for _, lr := range records[id] {
					assert.Equal(t, lr.TraceID(), span.TraceID(), "log record and span share the trace ID")
					assert.Equal(t, lr.SpanID(), span.SpanID(), "log record and span share the span ID")
				}
				assert.False(t, span.EndTimestamp() < span.StartTimestamp())
			})
		})
	}
}

// runCase runs one golden case with a fake clock and returns all the spans
// emitted, in order.
func runCase(t *testing.T, tc goldenCase, input plog.Logs) ptrace.Traces {
	t.Helper()
	return runCaseWith(t, tc, input, connectortest.NewNopSettings(metadata.Type))
}

func runCaseWith(t *testing.T, tc goldenCase, input plog.Logs, set connector.Settings) ptrace.Traces {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if tc.cfg != nil {
		tc.cfg(cfg)
	}
	require.NoError(t, cfg.Validate())
	now := testEpoch
	sink := &consumertest.TracesSink{}
	c, err := newConnector(set, cfg, sink, func() time.Time { return now })
	require.NoError(t, err)
	ctx := context.Background()
	for i := range input.ResourceLogs().Len() {
		batch := plog.NewLogs()
		input.ResourceLogs().At(i).CopyTo(batch.ResourceLogs().AppendEmpty())
		// The connector declares it does not mutate its input: pdata
		// panics if it tries.
		batch.MarkReadOnly()
		require.NoError(t, c.ConsumeLogs(ctx, batch))
		step, ok := tc.advance[i]
		if !ok {
			step = time.Second
		}
		now = now.Add(step)
		require.NoError(t, c.flushExpired(ctx))
	}
	require.NoError(t, c.Shutdown(ctx))
	return mergeTraces(sink.AllTraces())
}

func mergeTraces(all []ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range all {
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

func forEachRecord(ld plog.Logs, f func(plog.LogRecord)) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				f(lr)
			}
		}
	}
}

func forEachSpan(td ptrace.Traces, f func(ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				f(span)
			}
		}
	}
}
