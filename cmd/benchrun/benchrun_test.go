// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
)

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(`# HELP otelcol_receiver_accepted_log_records Number of log records successfully pushed into the pipeline.
# TYPE otelcol_receiver_accepted_log_records counter
otelcol_receiver_accepted_log_records_total{receiver="k8s_audit",service_name="x",transport="file"} 1200
otelcol_receiver_accepted_log_records_total{receiver="k8s_audit",service_name="x",transport="http"} 34
otelcol_process_runtime_total_alloc_bytes_total{service_name="x"} 5.5e+06
target_info 1
`))
	require.NoError(t, err)
	assert.Equal(t, 1234.0, metric(m, acceptedMetric))
	assert.Equal(t, 5.5e6, metric(m, allocMetric))
	assert.Equal(t, 1.0, m["target_info"])
	assert.Zero(t, metric(m, "absent"))
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 50*time.Millisecond, percentile(d, 0.5))
	assert.Equal(t, 99*time.Millisecond, percentile(d, 0.99))
	assert.Equal(t, time.Duration(0), percentile(nil, 0.5))
}

func TestRenderReport(t *testing.T) {
	rs := []result{
		{ID: "a", What: "ours", Events: 1000, CPU: time.Second, Mallocs: -1, Bytes: 2048, SteadyRSS: 40 << 20, PeakRSS: 50 << 20},
		{ID: "b", What: "contrib", Events: 1000, CPU: 10 * time.Second, Mallocs: -1},
		{ID: "d.1", What: "stdlib", Events: 1000, CPU: 500 * time.Millisecond, Mallocs: 40, Bytes: 3000, Note: "`stdlib`"},
	}
	out := renderReport(opts{n: 1000, seed: 1, bin: "bin/x", conc: 2}, envFacts(), rs, "/nonexistent")
	assert.Contains(t, out, "| (a) | ours | 1000 | 0.00 | 1.00 | 1 k | 10.0× |")
	assert.Contains(t, out, "| (a) ≥ 5× (b) in events per CPU-second | 10.0× | yes |")
	assert.Contains(t, out, "| (a) ≥ 50% of the fastest raw decode of (d) (`stdlib`) | 50.0 % | yes |")
	assert.Contains(t, out, "40.0 / 2.9 KiB")
	assert.Contains(t, out, "| 10.0× | 40 / 50 | — / 2.0 KiB |")
	assert.Contains(t, out, "| — / 0 | 40.0 / 2.9 KiB |", "no steady RSS where none was sampled")
}

// The steady RSS is the median of the second half: the climb is left out.
func TestSteadyRSS(t *testing.T) {
	t0 := time.Now()
	var samples []rssSample
	for i, mib := range []int64{10, 20, 30, 40, 50, 60, 100, 100, 100, 100} {
		samples = append(samples, rssSample{t0.Add(time.Duration(i) * 100 * time.Millisecond), mib << 20})
	}
	assert.Equal(t, int64(100<<20), steadyRSS(samples))
	assert.Zero(t, steadyRSS(nil))
}

// TestDecoders checks that every decoder of (d) accepts every generated event.
func TestDecoders(t *testing.T) {
	lines := generated(t, 500)
	for _, name := range decoderNames() {
		dec := decoders[name].make()
		for i, l := range lines {
			require.NoError(t, dec(l), "%s: line %d", name, i)
		}
	}
}

func generated(tb testing.TB, n int) [][]byte {
	var buf bytes.Buffer
	require.NoError(tb, auditgen.WriteLog(&buf, n, auditgen.Options{Seed: 1}))
	var lines [][]byte
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	require.NoError(tb, sc.Err())
	return lines
}

// BenchmarkDecode is (d) in process: each decoder over the same generated
// mix, per event.
func BenchmarkDecode(b *testing.B) {
	lines := generated(b, 2000)
	var size int
	for _, l := range lines {
		size += len(l)
	}
	for _, name := range decoderNames() {
		b.Run(name, func(b *testing.B) {
			dec := decoders[name].make()
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := dec(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestAllocatedWaitsOutTheCache: the collector serves a MemStats it reads at
// most once a second, so a scrape right after a burst of work can miss it.
func TestAllocatedWaitsOutTheCache(t *testing.T) {
	var mu sync.Mutex
	var actual, served float64
	var read time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(read) >= time.Second {
			served, read = actual, time.Now()
		}
		fmt.Fprintf(w, "otelcol_process_runtime_total_alloc_bytes_total{service_name=\"x\"} %g\n", served)
	}))
	defer srv.Close()
	port, err := strconv.Atoi(srv.URL[strings.LastIndexByte(srv.URL, ':')+1:])
	require.NoError(t, err)
	c := &collector{port: port}

	_, err = c.metrics() // the cache is fresh from here
	require.NoError(t, err)
	mu.Lock()
	actual += 5e6 // a run's allocations
	mu.Unlock()
	m, err := c.metrics()
	require.NoError(t, err)
	require.Zero(t, metric(m, allocMetric), "the emulated cache serves the old figure")
	got, err := c.allocated()
	require.NoError(t, err)
	assert.Equal(t, 5e6, got)
}
