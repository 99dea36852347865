// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"context"
	"errors"
	"fmt"
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
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"gopkg.in/natefinch/lumberjack.v2"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	auditlog "k8s.io/apiserver/plugin/pkg/audit/log"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadatatest"
)

// apiserverLog is kube-apiserver's log backend writing through lumberjack,
// exactly as --audit-log-path with --audit-log-maxsize=1 (MB) and
// --audit-log-compress wire it: backups are renamed to
// audit-<UTC time>.log and, when compressing, gzip'd afterwards.
type apiserverLog struct {
	dir     string
	writer  *lumberjack.Logger
	backend interface {
		ProcessEvents(...*auditinternal.Event) bool
	}
}

func newAPIServerLog(dir string, compress bool) *apiserverLog {
	w := &lumberjack.Logger{Filename: filepath.Join(dir, "audit.log"), MaxSize: 1, Compress: compress}
	return &apiserverLog{dir: dir, writer: w, backend: auditlog.NewBackend(w, auditlog.FormatJson, auditv1.SchemeGroupVersion)}
}

func (l *apiserverLog) write(t *testing.T, events ...*auditinternal.Event) {
	t.Helper()
	require.True(t, l.backend.ProcessEvents(events...))
}

func (l *apiserverLog) backups(t *testing.T) (plain, gzipped int) {
	t.Helper()
	entries, err := os.ReadDir(l.dir)
	require.NoError(t, err)
	for _, e := range entries {
		switch name := e.Name(); {
		case name == "audit.log":
		case strings.HasSuffix(name, ".log.gz"):
			gzipped++
		case strings.HasSuffix(name, ".log"):
			plain++
		}
	}
	return plain, gzipped
}

func fileConfig(dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	f := cfg.File.GetOrInsertDefault()
	// What an operator lists on a control-plane node: the active log and
	// every backup, so that a restart also recovers lines of rotated files.
	f.Include = []string{filepath.Join(dir, "audit.log"), filepath.Join(dir, "audit-*.log"), filepath.Join(dir, "audit-*.log.gz")}
	f.StartAt = "beginning"
	f.PollInterval = 20 * time.Millisecond
	return cfg
}

// assertEachOnce waits until every one of want arrived and checks that
// nothing arrived twice and nothing else arrived.
func assertEachOnce(t *testing.T, sink *consumertest.LogsSink, want []recordKey) {
	t.Helper()
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= len(want) }, 30*time.Second, 20*time.Millisecond,
		"records arrived: %d of %d", sink.LogRecordCount(), len(want))
	// A few more polls, so that a late duplicate would be seen.
	time.Sleep(200 * time.Millisecond)
	got := recordCounts(sink)
	missing, twice := 0, 0
	for _, k := range want {
		switch got[k] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
		delete(got, k)
	}
	assert.Zero(t, missing, "records missing")
	assert.Zero(t, twice, "records read more than once")
	assert.Empty(t, got, "records that were never written")
}

func TestFileSourceFollowsLumberjackRotation(t *testing.T) {
	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			log := newAPIServerLog(dir, compress)
			sink := new(consumertest.LogsSink)
			r := startReceiver(t, fileConfig(dir), componenttest.NewNopHost(), sink, nil)
			defer func() { require.NoError(t, r.Shutdown(context.Background())) }()

			// ~1.3 KB per event: 4,000 events make three 1 MB rotations,
			// written in bursts so that rotations fall between and during polls.
			const total = 4000
			var want []recordKey
			for i := 0; i < total; i++ {
				log.write(t, testEvent(i, auditinternal.StageResponseComplete, 200))
				want = append(want, recordKey{testAuditID(i), auditevent.StageResponseComplete})
				if i%250 == 249 {
					time.Sleep(15 * time.Millisecond)
				}
			}
			require.NoError(t, log.writer.Close())
			assertEachOnce(t, sink, want)

			plain, gzipped := log.backups(t)
			if compress {
				assert.GreaterOrEqual(t, gzipped, 3, "backups gzip'd by lumberjack")
			} else {
				assert.GreaterOrEqual(t, plain, 3, "plain backups")
				assert.Zero(t, gzipped)
			}
		})
	}
}

func TestFileSourceResumesFromCheckpoint(t *testing.T) {
	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			dir, storageDir := t.TempDir(), t.TempDir()
			log := newAPIServerLog(dir, compress)
			cfg := fileConfig(dir)
			cfg.File.Get().Storage = &fileStorageID
			sink := new(consumertest.LogsSink)
			var want []recordKey
			next := 0
			write := func(n int) {
				for ; n > 0; n-- {
					log.write(t, testEvent(next, auditinternal.StageResponseComplete, 200))
					want = append(want, recordKey{testAuditID(next), auditevent.StageResponseComplete})
					next++
				}
			}

			host := startFileStorage(t, storageDir)
			r := startReceiver(t, cfg, host, sink, nil)
			write(1200) // one rotation
			require.Eventually(t, func() bool { return sink.LogRecordCount() >= 1200 }, 20*time.Second, 10*time.Millisecond)
			write(300)
			require.NoError(t, r.Shutdown(context.Background()))

			// While the collector is down the log rotates twice; with
			// compression the backups it was reading are gzip'd meanwhile.
			write(2200)
			require.NoError(t, log.writer.Close())
			require.Eventually(t, func() bool {
				_, gz := log.backups(t)
				return !compress || gz >= 3
			}, 10*time.Second, 10*time.Millisecond)

			r = startReceiver(t, cfg, host, sink, nil)
			defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
			assertEachOnce(t, sink, want)
		})
	}
}

func TestFileSourceBadLinesAreForwardedAndCounted(t *testing.T) {
	dir := t.TempDir()
	cfg := fileConfig(dir)
	cfg.File.Get().MaxEventSize = 64 << 10
	cfg.ResourceAttributes = map[string]string{auditevent.AttrClusterName: "test-cluster"}
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()

	log := newAPIServerLog(dir, false)
	log.write(t, testEvent(1, auditinternal.StageResponseComplete, 0))
	_, err := log.writer.Write([]byte("{\"kind\":\"Event\",\"auditID\": truncated\n"))
	require.NoError(t, err)
	log.write(t, testEvent(2, auditinternal.StageResponseComplete, 200<<10)) // 200 KiB > 64 KiB
	log.write(t, testEvent(3, auditinternal.StageResponseComplete, 0))
	require.NoError(t, log.writer.Close())

	sink := new(consumertest.LogsSink)
	r := startReceiver(t, cfg, componenttest.NewNopHost(), sink, tt)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 4 }, 10*time.Second, 10*time.Millisecond)

	var records []map[string]any
	for _, ld := range sink.AllLogs() {
		rl := ld.ResourceLogs().At(0)
		cluster, _ := rl.Resource().Attributes().Get(auditevent.AttrClusterName)
		assert.Equal(t, "test-cluster", cluster.AsString())
		forEachRecord(ld, func(lr plog.LogRecord) { records = append(records, lr.Attributes().AsRaw()) })
	}
	require.Len(t, records, 4)
	assert.Equal(t, testAuditID(1), records[0][auditevent.AttrAuditID])
	assert.Equal(t, auditevent.ErrorTypeMalformed, records[1][auditevent.AttrErrorType])
	assert.Contains(t, records[1][auditevent.AttrError], "invalid JSON")
	// The oversized event keeps its metadata; its objects are dropped.
	assert.Equal(t, auditevent.ErrorTypeOversized, records[2][auditevent.AttrErrorType])
	assert.Equal(t, testAuditID(2), records[2][auditevent.AttrAuditID])
	assert.Equal(t, "configmaps", records[2][auditevent.AttrResource])
	assert.Equal(t, testAuditID(3), records[3][auditevent.AttrAuditID])
	for _, rec := range records {
		assert.Equal(t, "audit.log", rec[auditevent.AttrLogFileName], "log.file.name is the base name")
	}

	metadatatest.AssertEqualReceiverK8sAuditMalformedEvents(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	metadatatest.AssertEqualReceiverK8sAuditOversizedEvents(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// A stop while the pipeline refuses a batch must not move the checkpoint past
// it: fileconsumer records a batch's end whatever the callback returns.
func TestFileSourceStopWhileRefusedLosesNothing(t *testing.T) {
	dir, storageDir := t.TempDir(), t.TempDir()
	log := newAPIServerLog(dir, false)
	const total = 500
	var want []recordKey
	for i := 0; i < total; i++ {
		log.write(t, testEvent(i, auditinternal.StageResponseComplete, 0))
		want = append(want, recordKey{testAuditID(i), auditevent.StageResponseComplete})
	}
	require.NoError(t, log.writer.Close())
	cfg := fileConfig(dir)
	cfg.File.Get().Storage = &fileStorageID
	host := startFileStorage(t, storageDir)

	refusing := &countingErrConsumer{err: errors.New("exporter queue is full")}
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, "test")
	r, err := newReceiver(set, cfg, refusing)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	require.Eventually(t, func() bool { return refusing.calls.Load() >= 2 }, 10*time.Second, 10*time.Millisecond,
		"a retryable refusal is retried")
	require.NoError(t, r.Shutdown(context.Background()))

	sink := new(consumertest.LogsSink)
	r = startReceiver(t, cfg, host, sink, nil)
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
	assertEachOnce(t, sink, want)
}

type countingErrConsumer struct {
	err   error
	calls atomic.Int64
}

func (c *countingErrConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *countingErrConsumer) ConsumeLogs(context.Context, plog.Logs) error {
	c.calls.Add(1)
	return c.err
}

// The file source hands each line's buffer to its record (no copy), which
// is right only while fileconsumer gives every line a buffer of its own: if
// it reused one, the records of earlier batches would change under the
// pipeline. Many batches are read, and every record checked once all are in.
func TestFileRecordsKeepTheirLines(t *testing.T) {
	for _, format := range []string{BodyFormatRaw, BodyFormatStructured} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			log := newAPIServerLog(dir, false)
			const total = 600 // fileconsumer batches 100 lines; below lumberjack's 1 MB
			for i := 0; i < total; i++ {
				log.write(t, testEvent(i, auditinternal.StageResponseComplete, 20*(i%5)))
			}
			require.NoError(t, log.writer.Close())
			text, err := os.ReadFile(filepath.Join(dir, "audit.log"))
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
			require.Equal(t, total, len(lines), "lines in audit.log")

			cfg := fileConfig(dir)
			cfg.BodyFormat = format
			sink := new(consumertest.LogsSink)
			r := startReceiver(t, cfg, componenttest.NewNopHost(), sink, nil)
			require.Eventually(t, func() bool { return sink.LogRecordCount() >= total }, 30*time.Second, 20*time.Millisecond)
			require.NoError(t, r.Shutdown(context.Background()))
			require.GreaterOrEqual(t, len(sink.AllLogs()), 6, "batches")

			i := 0
			for _, ld := range sink.AllLogs() {
				forEachRecord(ld, func(lr plog.LogRecord) {
					id, _ := lr.Attributes().Get(auditevent.AttrAuditID)
					require.Equal(t, testAuditID(i), id.Str(), "record %d", i)
					if format == BodyFormatRaw {
						require.Equal(t, lines[i], lr.Body().Str(), "record %d", i)
					} else {
						bodyID, _ := lr.Body().Map().Get("auditID")
						require.Equal(t, testAuditID(i), bodyID.Str(), "record %d", i)
						uri, _ := lr.Body().Map().Get("requestURI")
						require.Equal(t, fmt.Sprintf("/api/v1/namespaces/team-%d/configmaps/cm-%d", i%7, i), uri.Str(), "record %d", i)
					}
					i++
				})
			}
			require.Equal(t, total, i)
		})
	}
}
