// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// collector is one running collector process under measurement.
type collector struct {
	cmd     *exec.Cmd
	port    int
	stderr  *bytes.Buffer
	exited  chan struct{}
	waitErr error
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startCollector writes cfg to dir and starts bin on it, with env added, and
// waits until its metrics endpoint answers.
func startCollector(bin, dir, cfg string, port int, env []string) (*collector, error) {
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	c := &collector{port: port, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(bin, "--config", cfgPath)
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout = io.Discard
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { c.waitErr = c.cmd.Wait(); close(c.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.metrics(); err == nil {
			return c, nil
		}
		select {
		case <-c.exited:
			return nil, fmt.Errorf("collector exited at start-up: %v\n%s", c.waitErr, tail(c.stderr.String()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("collector metrics not up after 30s\n%s", tail(c.stderr.String()))
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

// metrics scrapes the collector's own Prometheus endpoint.
func (c *collector) metrics() (map[string]float64, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", c.port))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// allocMetric is the collector's count of bytes allocated so far. The
// collector reads runtime.MemStats at most once a second and serves the
// cached figure in between, which at 100,000 events a second would leave up
// to a second's allocations out of a run; allocated waits the cache out.
const allocMetric = "otelcol_process_runtime_total_alloc_bytes"

// allocated is allocMetric as of now, read once the collector's cached
// MemStats is older than a second (so the scrape refreshes it). Call it
// while the collector is idle: it then allocates next to nothing meanwhile.
func (c *collector) allocated() (float64, error) {
	time.Sleep(1100 * time.Millisecond)
	m, err := c.metrics()
	if err != nil {
		return 0, err
	}
	return metric(m, allocMetric), nil
}

// parseMetrics sums Prometheus text samples by metric name, label sets
// folded together: what is counted here is one pipeline's records.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		var name, rest string
		if i := strings.IndexAny(line, "{ "); i >= 0 && line[i] == '{' {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			name, rest = line[:i], line[j+1:]
		} else {
			name, rest, _ = strings.Cut(line, " ")
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	return out, sc.Err()
}

// metric returns the first metric whose name starts with prefix (exporters
// add _total or unit suffixes depending on their version).
func metric(m map[string]float64, prefix string) float64 {
	if v, ok := m[prefix]; ok {
		return v
	}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			return v
		}
	}
	return 0
}

const acceptedMetric = "otelcol_receiver_accepted_log_records"

// waitAccepted polls until the receivers accepted n records.
func (c *collector) waitAccepted(ctx context.Context, n int) (map[string]float64, error) {
	var last float64
	for {
		m, err := c.metrics()
		if err == nil {
			last = metric(m, acceptedMetric)
			if int(last) >= n {
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d records accepted: %w\n%s", int(last), n, ctx.Err(), tail(c.stderr.String()))
		case <-c.exited:
			return nil, fmt.Errorf("collector exited: %v\n%s", c.waitErr, tail(c.stderr.String()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cpu is the process's user and system CPU time so far, all threads.
func (c *collector) cpu() (user, sys time.Duration, err error) {
	return procCPU(c.cmd.Process.Pid)
}

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 100

func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name may contain spaces; fields are counted after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("bad /proc/pid/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, errors.New("short /proc/pid/stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut) * time.Second / clockTick, time.Duration(st) * time.Second / clockTick, nil
}

// memory is the process's current and peak resident set size in bytes.
func (c *collector) memory() (rss, peak int64) {
	return procMemory(c.cmd.Process.Pid)
}

// procMemory reads a process's VmRSS and VmHWM (the peak of its own
// address space; getrusage's maxrss of a child counts its parent's at fork).
func procMemory(pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}

// rssSampler reads a process's VmRSS every 100 ms while a run lasts.
type rssSampler struct {
	pid     int
	stop    chan struct{}
	done    chan struct{}
	samples []rssSample
}

type rssSample struct {
	at  time.Time
	rss int64
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _ := procMemory(pid); rss > 0 {
				s.samples = append(s.samples, rssSample{time.Now(), rss})
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// steady ends the sampling and returns the RSS under sustained load: the
// median of the samples of the run's second half, once the heap has grown
// to its working size (the first half holds the climb).
func (s *rssSampler) steady() int64 {
	close(s.stop)
	<-s.done
	return steadyRSS(s.samples)
}

func steadyRSS(samples []rssSample) int64 {
	if len(samples) == 0 {
		return 0
	}
	mid := samples[0].at.Add(samples[len(samples)-1].at.Sub(samples[0].at) / 2)
	var late []int64
	for _, x := range samples {
		if !x.at.Before(mid) {
			late = append(late, x.rss)
		}
	}
	slices.Sort(late)
	return late[len(late)/2]
}

// stop ends the collector gracefully, then by force.
func (c *collector) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}
