// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

// Package bench holds the benchmark-only collector build (builder-config.yaml)
// and the in-process benchmark of the three components together.
package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"
)

// pipelineEvents and pipelineBatch: a generated Metadata-level log, read in
// batches as the file source reads it.
const (
	pipelineEvents = 4000
	pipelineBatch  = 100
)

// BenchmarkPipeline is row (e') of docs/benchmarks.md without the collector
// around it: the file source's conversion of each line, the k8s_audit
// processor with its defaults and the k8s_audit_traces connector, over one
// generated Metadata-level log per iteration. Without the collector's
// threads it can run under callgrind, whose instruction counts (with
// GOGC=off) repeat to 0.1 % where CPU seconds on a shared host vary by 5 %:
//
//	go test -c -o /tmp/bench.test ./bench
//	GOGC=off GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
//	    /tmp/bench.test -test.run '^$' -test.bench 'Pipeline/raw' -test.benchtime 10x
func BenchmarkPipeline(b *testing.B) {
	var log bytes.Buffer
	require.NoError(b, auditgen.WriteLog(&log, pipelineEvents, auditgen.Options{Seed: 1, MetadataOnly: true}))
	lines := bytes.Split(bytes.TrimSpace(log.Bytes()), []byte("\n"))
	for _, raw := range []bool{false, true} {
		name := "structured"
		if raw {
			name = "raw"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			host := componenttest.NewNopHost()
			spans := new(consumertest.TracesSink)
			cf, pf := k8saudittracesconnector.NewFactory(), k8sauditprocessor.NewFactory()
			// Each iteration starts afresh: the same requests again would be
			// duplicates to the connector.
			start := func() (processor.Logs, connector.Logs) {
				conn, err := cf.CreateLogsToTraces(ctx, connectortest.NewNopSettings(cf.Type()), cf.CreateDefaultConfig(), spans)
				require.NoError(b, err)
				proc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), conn)
				require.NoError(b, err)
				require.NoError(b, conn.Start(ctx, host))
				require.NoError(b, proc.Start(ctx, host))
				return proc, conn
			}
			conv := auditevent.Converter{RawBody: raw}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				spans.Reset()
				proc, conn := start()
				b.StartTimer()
				for i := 0; i < len(lines); i += pipelineBatch {
					ld := plog.NewLogs()
					lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
					lrs.EnsureCapacity(pipelineBatch)
					observed := auditevent.Now()
					for _, line := range lines[i:min(i+pipelineBatch, len(lines))] {
						// The file source hands each line over in a buffer of its own.
						conv.AppendOwnedEvent(lrs, bytes.Clone(line), observed)
						lrs.At(lrs.Len()-1).Attributes().PutStr(auditevent.AttrLogFileName, "audit.log")
					}
					require.NoError(b, proc.ConsumeLogs(ctx, ld))
				}
				b.StopTimer()
				require.NotZero(b, spans.SpanCount(), "the connector made no span")
				require.NoError(b, proc.Shutdown(ctx))
				require.NoError(b, conn.Shutdown(ctx))
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/event")
		})
	}
}
