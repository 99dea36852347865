// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReliabilityDownstreamOutage takes the OTLP endpoint away while audit
// events keep coming, restarts the collector during the outage, and brings
// the endpoint back: with the exporter's persistent sending queue
// (file_storage) every event arrives.
func TestReliabilityDownstreamOutage(t *testing.T) {
	binary := reliabilityBinary(t)
	dir, storageDir, runDir := t.TempDir(), t.TempDir(), t.TempDir()
	sink := newKeyCounter(t, false)
	healthAddr := freeAddr(t)
	config := filepath.Join(runDir, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fileSourceConfig(dir, storageDir, sink.url(), healthAddr, persistentQueue)), 0o600))
	starts := 0
	start := func() *collectorProcess {
		starts++
		p := startCollector(t, binary, config, filepath.Join(runDir, fmt.Sprintf("collector-%d.out", starts)))
		waitHealthCheck(t, p, healthAddr)
		return p
	}
	writer := newAPIServerLogWriter(dir, true)
	ctx := context.Background()
	var want []string
	write := func(from, to int) {
		keys, err := writer.writeRequests(ctx, from, to, 20_000)
		require.NoError(t, err)
		want = append(want, keys...)
	}

	collector := start()
	write(0, 5_000)
	waitAll(t, sink, want, time.Minute)

	// The endpoint goes away; kube-apiserver keeps logging and rotating.
	sink.down()
	write(5_000, 15_000)
	time.Sleep(2 * time.Second) // the file source reads it all into the queue

	// A restart during the outage: the queue is on disk.
	collector.stop(t)
	write(15_000, 20_000)
	collector = start()
	time.Sleep(2 * time.Second)
	arrivedDuring, _, _ := sink.tally(want)
	assert.Equal(t, 10_000, arrivedDuring, "nothing arrives while the endpoint is down")

	sink.up(t)
	waitAll(t, sink, want, 2*time.Minute)
	collector.stop(t)
	require.NoError(t, writer.lj.Close())
	arrived, duplicates, total := sink.tally(want)
	t.Logf("outage: %d events, %d arrived, %d records, %d duplicates", len(want), arrived, total, duplicates)
	assert.Equal(t, len(want), arrived)
}
