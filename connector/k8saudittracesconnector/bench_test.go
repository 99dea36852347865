// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

const benchBatch = 100

// BenchmarkConsumeLogs measures batches of real kube-apiserver events (a
// Deployment create at RequestResponse level): ResponseComplete alone (the
// common policy that omits RequestReceived), and RequestReceived plus
// ResponseComplete in the same batch; with the body as a map and as JSON
// text. Every iteration uses new audit IDs, so that nothing is a duplicate.
func BenchmarkConsumeLogs(b *testing.B) {
	complete := readMapping(b, "v1-responsecomplete-create-deployment.json")
	received := readMapping(b, "v1-requestreceived-create-deployment.json")

	for _, bc := range []struct {
		name   string
		events [][]byte
		raw    bool
	}{
		{"ResponseComplete/map", [][]byte{complete}, false},
		{"ResponseComplete/raw", [][]byte{complete}, true},
		{"RequestReceived+ResponseComplete/map", [][]byte{received, complete}, false},
		{"RequestReceived+ResponseComplete/raw", [][]byte{received, complete}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ld := benchLogs(bc.raw, bc.events...)
			lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			c, err := newConnector(newNopSettings(), defaultConfig(), consumertest.NewNop(), time.Now)
			require.NoError(b, err)
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				for i := range lrs.Len() {
					if i%len(bc.events) == 0 {
						n++
					}
					lrs.At(i).Attributes().PutStr(auditevent.AttrAuditID, fmt.Sprint("bench-", n))
				}
				b.StartTimer()
				if err := c.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lrs.Len()), "ns/record")
			require.NoError(b, c.Shutdown(ctx))
		})
	}
}

// BenchmarkConsumeLogsApart is RequestReceived+ResponseComplete with each
// request's stages in consecutive batches: each request waits past the
// batch that made it, so its first record is copied aside.
func BenchmarkConsumeLogsApart(b *testing.B) {
	batches := [...]plog.Logs{
		benchLogs(true, readMapping(b, "v1-requestreceived-create-deployment.json")),
		benchLogs(true, readMapping(b, "v1-responsecomplete-create-deployment.json")),
	}
	c, err := newConnector(newNopSettings(), defaultConfig(), consumertest.NewNop(), time.Now)
	require.NoError(b, err)
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for _, ld := range batches {
			lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			for i := range lrs.Len() {
				lrs.At(i).Attributes().PutStr(auditevent.AttrAuditID, fmt.Sprint("bench-", n+i))
			}
		}
		n += benchBatch
		b.StartTimer()
		for _, ld := range batches {
			if err := c.ConsumeLogs(ctx, ld); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*benchBatch), "ns/record")
	require.NoError(b, c.Shutdown(ctx))
}

// readMapping reads one of the real kube-apiserver events of the mapping
// tests.
func readMapping(b *testing.B, name string) []byte {
	e, err := os.ReadFile(filepath.Join("..", "..", "internal", "auditevent", "testdata", "mapping", name))
	require.NoError(b, err)
	return e
}

// benchLogs is a batch of benchBatch rounds of events, as the receiver
// converts them.
func benchLogs(raw bool, events ...[]byte) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	conv := auditevent.Converter{RawBody: raw}
	for range benchBatch {
		for _, e := range events {
			conv.AppendEvent(lrs, e, "", auditevent.Now())
		}
	}
	return ld
}

// BenchmarkSetSpan is the conversion alone: one ended request to a span.
func BenchmarkSetSpan(b *testing.B) {
	ld := logsOf(b, false, eventJSON(auditID(1), auditevent.StageResponseComplete, 0, 5*time.Millisecond, 200))
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	res := &resourceRef{resource: pcommon.NewResource()}
	b.ReportAllocs()
	for b.Loop() {
		o, ok := readRecord(lr)
		if !ok {
			b.Fatal("not read")
		}
		r := newRequest(&o, lr.Attributes(), res, time.Time{})
		out := newOutput(pcommon.NewInstrumentationScope())
		out.add(&r, "")
	}
}
