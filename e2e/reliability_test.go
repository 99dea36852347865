// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileSourceConfig tails dir's audit log and its backups with checkpoints in
// file_storage and exports to sinkURL; queue is the exporter's sending_queue
// block.
func fileSourceConfig(dir, storageDir, sinkURL, healthAddr, queue string) string {
	return fmt.Sprintf(`extensions:
  file_storage:
    directory: %[2]q
  health_check:
    endpoint: %[4]q

receivers:
  k8s_audit:
    file:
      include: [%[1]q]
      start_at: beginning
      storage: file_storage
      poll_interval: 100ms
      max_concurrent_files: %[7]d

exporters:
  otlp_http:
    endpoint: %[3]q
    compression: none
    sending_queue:
%[5]s
    retry_on_failure:
      enabled: true
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 0

service:
  extensions: [file_storage, health_check]
  pipelines:
    logs:
      receivers: [k8s_audit]
      exporters: [otlp_http]
  telemetry:
    logs:
      level: %[6]s
    metrics:
      level: none
`, filepath.Join(dir, "audit*.log*"), storageDir, sinkURL, healthAddr, queue, logLevel(), maxFiles())
}

func queueConfig() string {
	if os.Getenv("K8SAUDIT_NO_QUEUE") != "" {
		return noQueue
	}
	return persistentQueue
}

func maxFiles() int {
	if v := os.Getenv("K8SAUDIT_MAX_FILES"); v != "" {
		var n int
		fmt.Sscan(v, &n)
		return n
	}
	return 64
}

func logLevel() string {
	if l := os.Getenv("K8SAUDIT_LOG_LEVEL"); l != "" {
		return l
	}
	return "warn"
}

// The exporter sends synchronously: the file source moves its checkpoint
// only past lines the endpoint took.
const noQueue = `      enabled: false`

// persistentQueue keeps what the exporter has not sent yet in file_storage:
// the file source moves on as soon as a batch is queued on disk, and the
// queue outlives a crash or restart.
var persistentQueue = fmt.Sprintf(`      enabled: true
      storage: file_storage
      queue_size: 100000
      num_consumers: %d`, queueConsumers)

// queueConsumers are the persistent queue's consumers: a kill can leave
// this many batches sent but not yet removed from the queue.
const queueConsumers = 4

// TestReliabilityCrashRestart kills the collector with SIGKILL several times
// while kube-apiserver's log backend writes and rotates (1 MB files, with and
// without gzip) at a high rate; every (auditID, stage) must arrive at least
// once, a kill may repeat only what was past the checkpoint it left (read
// from file_storage after each kill), and a graceful restart afterwards must
// add nothing. How many duplicates that is depends on how far the collector
// lags the writer, so on the host: the test logs it and does not bound it.
func TestReliabilityCrashRestart(t *testing.T) {
	binary := reliabilityBinary(t)
	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "gzip"
		}
		t.Run(name, func(t *testing.T) {
			const (
				requests  = 100_000 // 200,000 events
				perSecond = 10_000  // events written per second: a 1 MB rotation every 0.15 s
				kills     = 4
			)
			dir, storageDir, runDir := t.TempDir(), t.TempDir(), t.TempDir()
			if keep := os.Getenv("K8SAUDIT_KEEP_RUN"); keep != "" {
				runDir = filepath.Join(keep, name)
				dir = filepath.Join(keep, name, "logs")
				require.NoError(t, os.MkdirAll(dir, 0o700))
			}
			sink := newKeyCounter(t, false)
			healthAddr := freeAddr(t)
			config := filepath.Join(runDir, "config.yaml")
			require.NoError(t, os.WriteFile(config, []byte(fileSourceConfig(dir, storageDir, sink.url(), healthAddr, queueConfig())), 0o600))
			starts := 0
			start := func() *collectorProcess {
				starts++
				p := startCollector(t, binary, config, filepath.Join(runDir, fmt.Sprintf("collector-%d.out", starts)))
				waitHealthCheck(t, p, healthAddr)
				return p
			}

			writer := newAPIServerLogWriter(dir, compress)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			type result struct {
				keys []string
				err  error
			}
			written := make(chan result, 1)
			go func() {
				keys, err := writer.writeRequests(ctx, 0, requests, perSecond)
				written <- result{keys, writer.lj.Close()}
				_ = err
			}()

			collector := start()
			type killPoint struct {
				written    int             // events written when the collector was dead
				checkpoint savedCheckpoint // what it had saved by then
			}
			var killPoints []killPoint
			for i := 0; i < kills; i++ {
				// Kill at different points of the stream: mid-file, mid-rotation,
				// each a few polls after the previous restart.
				time.Sleep(time.Duration(3000+700*i) * time.Millisecond)
				collector.kill(t)
				killPoints = append(killPoints, killPoint{int(writer.written.Load()), readCheckpoint(t, storageDir)})
				collector = start()
			}
			res := <-written
			require.NoError(t, res.err)
			require.Len(t, res.keys, 2*requests)
			waitAll(t, sink, res.keys, 3*time.Minute)
			arrived, duplicates, total := sink.tally(res.keys)

			// A graceful restart re-reads nothing.
			collector.stop(t)
			collector = start()
			time.Sleep(2 * time.Second)
			collector.stop(t)
			_, duplicatesAfterGraceful, totalAfterGraceful := sink.tally(res.keys)

			t.Logf("%s: %d events written (%d files), %d SIGKILLs: %d of %d pairs arrived, %d records, %d duplicates (%.2f%%); graceful restart added %d records",
				name, len(res.keys), countFiles(t, dir), kills, arrived, len(res.keys), total, duplicates,
				100*float64(duplicates)/float64(len(res.keys)), totalAfterGraceful-total)
			if duplicates > 0 {
				t.Logf("requests that arrived more than once: %s", sink.duplicateRanges())
			}
			assert.Equal(t, len(res.keys), arrived, "every (auditID, stage) arrives at least once")

			// A kill re-reads what the receiver had read past its checkpoint
			// and nothing before it. fileconsumer saves the checkpoint once
			// per poll, so that is the poll in progress: longer after a
			// restart (the backlog) or on a host too slow for the writer, and
			// whether it was exported already or still in the persistent
			// queue. The queue adds the batches its consumers were sending:
			// at most num_consumers batches of fileconsumer's 100 lines.
			logs := readLogs(t, dir)
			final := readCheckpoint(t, storageDir).covered(t, dir, logs)
			missing := 0
			for _, key := range res.keys {
				if !final[key] {
					missing++
				}
			}
			require.Zero(t, missing, "after a graceful stop the checkpoint covers every event written (this checks the reading of checkpoints too)")
			expected := map[string]bool{}
			var exposedPerKill []string
			for _, kp := range killPoints {
				covered := kp.checkpoint.covered(t, dir, logs)
				exposed := 0
				for _, key := range res.keys[:kp.written] {
					if !covered[key] {
						expected[key] = true
						exposed++
					}
				}
				exposedPerKill = append(exposedPerKill, fmt.Sprint(exposed))
			}
			duplicated := sink.duplicated()
			var unexplained []string
			for _, key := range duplicated {
				if !expected[key] {
					unexplained = append(unexplained, key)
				}
			}
			t.Logf("events written but past the checkpoint at each kill: %s; duplicated: %d, of which %d not past a checkpoint",
				strings.Join(exposedPerKill, ", "), len(duplicated), len(unexplained))
			inFlight := 0
			if queueConfig() == persistentQueue {
				inFlight = kills * queueConsumers * 100
			}
			assert.LessOrEqual(t, len(unexplained), inFlight,
				"a kill re-reads only what is past the checkpoint, and the persistent queue its batches in flight; first few: %v",
				unexplained[:min(len(unexplained), 5)])
			assert.Equal(t, duplicates, duplicatesAfterGraceful, "a graceful restart adds no duplicates")
			assert.Equal(t, total, totalAfterGraceful, "a graceful restart adds no records")
		})
	}
}

func countFiles(t *testing.T, dir string) int {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	return len(entries)
}
