// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

// Command benchrun measures the collector side by side with the
// alternatives on one generated audit log (issue 6) and writes the table to
// docs/benchmarks.md. `make bench` runs it:
//
//	benchrun -bin bin/otelcol-k8saudit-bench -n 500000 -out docs/benchmarks.md
//
// Every measurement is a separate process whose CPU time (user+sys) and peak
// RSS are read by this driver: /proc/<pid> for collectors (from the moment
// the log file appears until the receiver accepted every event, start-up
// excluded), wait4's rusage for jq, and the decode child's own getrusage
// around its loop.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
)

// notesMarker starts the hand-written part of the report.
const notesMarker = "<!-- notes: kept across runs -->"

type result struct {
	ID, What string
	Events   int
	Wall     time.Duration
	CPU      time.Duration
	PeakRSS  int64
	EndRSS   int64
	// SteadyRSS is the RSS under sustained load (rssSampler.steady); 0
	// where not sampled.
	SteadyRSS int64
	// Mallocs and Bytes per event; Mallocs < 0 when unknown.
	Mallocs, Bytes float64
	P50, P99       time.Duration
	Note           string
	// Repeats lists the CPU times of every run of the row, when repeated.
	Repeats string
	Err     error
}

func (r result) perCPUSecond() float64 {
	if r.CPU <= 0 {
		return 0
	}
	return float64(r.Events) / r.CPU.Seconds()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "decode" {
		fs := flag.NewFlagSet("decode", flag.ExitOnError)
		impl := fs.String("impl", "stdlib", "decoder: "+strings.Join(decoderNames(), ", "))
		file := fs.String("file", "", "audit log")
		prof := fs.String("cpuprofile", "", "write a CPU profile of the decode loop here")
		_ = fs.Parse(os.Args[2:])
		if err := runDecode(*impl, *file, *prof); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun decode:", err)
			os.Exit(1)
		}
		return
	}
	var o opts
	flag.StringVar(&o.bin, "bin", "bin/otelcol-k8saudit-bench", "collector built from bench/builder-config.yaml")
	flag.IntVar(&o.n, "n", 500000, "events in the generated log")
	flag.Uint64Var(&o.seed, "seed", 1, "generator seed")
	flag.StringVar(&o.work, "work", "_out/bench", "directory for generated files and run directories")
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "markdown report; empty for none")
	flag.StringVar(&o.only, "only", "", "comma-separated run IDs to do (default all), e.g. a,b")
	flag.IntVar(&o.conc, "conc", 2, "concurrent webhook clients")
	flag.IntVar(&o.repeat, "repeat", 3, "measurements of each row; the median by CPU time is reported")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

type opts struct {
	bin, work, out, only string
	n, conc, repeat      int
	seed                 uint64
}

func (o opts) want(id string) bool {
	if o.only == "" {
		return true
	}
	for _, x := range strings.Split(o.only, ",") {
		if x == id || strings.HasPrefix(id, x+".") || strings.HasPrefix(id, x+"'") {
			return true
		}
	}
	return false
}

// generate writes the generated inputs once per (n, seed).
func generate(o opts) (mixed, metadata, batches string, err error) {
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return "", "", "", err
	}
	base := filepath.Join(o.work, fmt.Sprintf("audit-n%d-s%d", o.n, o.seed))
	mixed, metadata, batches = base+".log", base+"-metadata.log", base+"-eventlist400.jsonl"
	gens := []struct {
		path string
		fn   func(io.Writer) error
	}{
		{mixed, func(w io.Writer) error { return auditgen.WriteLog(w, o.n, auditgen.Options{Seed: o.seed}) }},
		{metadata, func(w io.Writer) error {
			return auditgen.WriteLog(w, o.n, auditgen.Options{Seed: o.seed, MetadataOnly: true})
		}},
		{batches, func(w io.Writer) error { return auditgen.WriteEventLists(w, o.n, 400, auditgen.Options{Seed: o.seed}) }},
	}
	for _, g := range gens {
		if _, err := os.Stat(g.path); err == nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "generating %s\n", g.path)
		tmp := g.path + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return "", "", "", err
		}
		if err := g.fn(f); err != nil {
			f.Close()
			return "", "", "", err
		}
		if err := f.Close(); err != nil {
			return "", "", "", err
		}
		if err := os.Rename(tmp, g.path); err != nil {
			return "", "", "", err
		}
	}
	return mixed, metadata, batches, nil
}

func run(o opts) error {
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%s: %w (make bench builds it)", o.bin, err)
	}
	bin, _ := filepath.Abs(o.bin)
	work, _ := filepath.Abs(o.work)
	o.work = work
	mixed, metadata, batches, err := generate(o)
	if err != nil {
		return err
	}
	env := envFacts()
	env.loadStart = loadavg()
	env.started = time.Now().UTC()
	// Every row is measured o.repeat times, in rounds over all the rows,
	// so that a slow spell of the shared machine hits each row alike; the
	// run with the median CPU time is reported.
	type row struct {
		id      string
		measure func() result
	}
	var rows []row
	add := func(id string, measure func() result) {
		if o.want(id) {
			rows = append(rows, row{id, measure})
		}
	}
	type fileRun struct{ id, what, cfg, file, note string }
	fileRuns := []fileRun{
		{"a", "`k8s_audit` receiver (file) → nop", configOurs, mixed, ""},
		{"b", "contrib `file_log` + `json_parser` → `transform` (same attributes) → nop", configContrib, mixed, ""},
	}
	for _, fr := range fileRuns {
		add(fr.id, func() result { return runFileCollector(bin, o, fr.id, fr.what, fr.cfg, fr.file, nil) })
	}
	add("c", func() result { return runJQ(mixed, o.n) })
	self, _ := os.Executable()
	for i, name := range []string{"stdlib", "ours-parse", "ours-convert", "jsonv2", "goccy", "jsoniter", "fastjson", "jsontext", "ours-raw", "sonic", "simdjson"} {
		id := fmt.Sprintf("d.%d", i+1)
		add(id, func() result { return runDecodeChild(self, id, name, mixed) })
	}
	more := []fileRun{
		{"e", "`k8s_audit` receiver (file) → `k8s_audit` processor (defaults: enrichment + redaction) → `k8s_audit_traces` connector → nop", configFull, mixed, ""},
		{"e'", "as (e), Metadata-only log", configFull, metadata, ""},
		{"a'", "as (a), Metadata-only log", configOurs, metadata, ""},
		{"a.raw", "as (a), `body_format: raw`", rawBody(configOurs), mixed, ""},
		{"a'.raw", "as (a'), `body_format: raw`", rawBody(configOurs), metadata, ""},
		{"e.raw", "as (e), `body_format: raw`", rawBody(configFull), mixed, ""},
		{"e'.raw", "as (e'), `body_format: raw`", rawBody(configFull), metadata, ""},
	}
	for _, fr := range more {
		add(fr.id, func() result { return runFileCollector(bin, o, fr.id, fr.what, fr.cfg, fr.file, nil) })
	}
	webhookRuns := []struct{ id, what, cfg string }{
		{"f", "`k8s_audit` receiver (webhook) → nop, EventLists of 400, GOMAXPROCS=1", configWebhook},
		{"f'", "webhook → `k8s_audit` processor → `k8s_audit_traces` connector → nop, GOMAXPROCS=1", configWebhookFull},
		{"f.raw", "as (f), `body_format: raw`", rawBody(configWebhook)},
	}
	for _, wr := range webhookRuns {
		add(wr.id, func() result { return runWebhook(bin, o, wr.id, wr.what, wr.cfg, batches) })
	}
	runs := make([][]result, len(rows))
	for round := range max(o.repeat, 1) {
		for i, r := range rows {
			res := r.measure()
			fmt.Fprintf(os.Stderr, "[%d/%d] %s\n", round+1, o.repeat, res.line())
			runs[i] = append(runs[i], res)
		}
	}
	results := make([]result, len(rows))
	for i := range rows {
		results[i] = medianRun(runs[i])
	}
	env.loadEnd = loadavg()
	env.finished = time.Now().UTC()
	report := renderReport(o, env, results, mixed)
	fmt.Println(report)
	if o.out != "" {
		// Hand-written notes below the marker (analysis, profiles) survive
		// a new measurement.
		if old, err := os.ReadFile(o.out); err == nil {
			if i := bytes.Index(old, []byte(notesMarker)); i >= 0 {
				report += "\n" + string(old[i:])
			}
		}
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", o.out)
	}
	for _, r := range results {
		if r.Err != nil {
			return fmt.Errorf("run %s failed: %w", r.ID, r.Err)
		}
	}
	return nil
}

// medianRun is the run with the median CPU time, saying so in Repeats; the
// first failed run if any failed.
func medianRun(runs []result) result {
	for _, r := range runs {
		if r.Err != nil {
			return r
		}
	}
	if len(runs) == 1 {
		return runs[0]
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.CPU, b.CPU) })
	m := sorted[len(sorted)/2]
	cpus := make([]string, len(runs))
	for i, r := range runs {
		cpus[i] = fmt.Sprintf("%.2f", r.CPU.Seconds())
	}
	m.Repeats = fmt.Sprintf("median of %d runs (CPU s %s)", len(runs), strings.Join(cpus, ", "))
	return m
}

func (r result) line() string {
	if r.Err != nil {
		return fmt.Sprintf("%-5s FAILED: %v", r.ID, r.Err)
	}
	return fmt.Sprintf("%-5s %8d events  wall %6.2fs  cpu %6.2fs  %9.0f ev/cpu-s  peak %5.0f MiB  %s",
		r.ID, r.Events, r.Wall.Seconds(), r.CPU.Seconds(), r.perCPUSecond(), float64(r.PeakRSS)/(1<<20), r.What)
}

// runFileCollector measures one collector reading one log file from start.
// The file is hard-linked into the watched directory only once the
// collector runs, so start-up is not measured.
func runFileCollector(bin string, o opts, id, what, cfg, file string, env []string) result {
	r := result{ID: id, What: what, Events: o.n, Mallocs: -1}
	dir := filepath.Join(o.work, "run-"+strings.ReplaceAll(id, "'", "p"))
	in := filepath.Join(dir, "in")
	_ = os.RemoveAll(dir)
	if r.Err = os.MkdirAll(in, 0o755); r.Err != nil {
		return r
	}
	port, err := freePort()
	if err != nil {
		r.Err = err
		return r
	}
	c, err := startCollector(bin, dir, render(cfg, in, port, ""), port, env)
	if err != nil {
		r.Err = err
		return r
	}
	defer c.stop()
	time.Sleep(time.Second) // let the first polls of the empty directory pass
	a0, err := c.allocated()
	if err != nil {
		r.Err = err
		return r
	}
	u0, s0, _ := c.cpu()
	start := time.Now()
	rss := sampleRSS(c.cmd.Process.Pid)
	if err := os.Link(file, filepath.Join(in, "audit.log")); err != nil {
		rss.steady()
		r.Err = err
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	m1, err := c.waitAccepted(ctx, o.n)
	r.SteadyRSS = rss.steady()
	if err != nil {
		r.Err = err
		return r
	}
	r.Wall = time.Since(start)
	u1, s1, _ := c.cpu()
	r.CPU = (u1 - u0) + (s1 - s0)
	r.EndRSS, r.PeakRSS = c.memory()
	a1, err := c.allocated()
	if err != nil {
		r.Err = err
		return r
	}
	r.Bytes = (a1 - a0) / float64(o.n)
	if got := metric(m1, acceptedMetric); int(got) != o.n {
		r.Note = fmt.Sprintf("accepted %d", int(got))
	}
	if spans := metric(m1, "otelcol_connector_k8s_audit_traces_spans"); spans > 0 {
		r.Note = fmt.Sprintf("%d spans", int(spans))
	}
	return r
}

// runWebhook measures the webhook source on one core (GOMAXPROCS=1): the
// collector's CPU from the first POST of the measured batches to the last
// answer.
func runWebhook(bin string, o opts, id, what, cfg, batches string) result {
	r := result{ID: id, What: what, Mallocs: -1}
	bodies, err := readBodies(batches)
	if err != nil {
		r.Err = err
		return r
	}
	dir := filepath.Join(o.work, "run-"+strings.ReplaceAll(id, "'", "p"))
	_ = os.RemoveAll(dir)
	if r.Err = os.MkdirAll(dir, 0o755); r.Err != nil {
		return r
	}
	port, err1 := freePort()
	hookPort, err2 := freePort()
	if err := errors.Join(err1, err2); err != nil {
		r.Err = err
		return r
	}
	addr := fmt.Sprintf("127.0.0.1:%d", hookPort)
	c, err := startCollector(bin, dir, render(cfg, "", port, addr), port, []string{"GOMAXPROCS=1"})
	if err != nil {
		r.Err = err
		return r
	}
	defer c.stop()
	url := "http://" + addr + "/audit?timeout=30s"
	// Warm up connections and pools on a few batches, not measured.
	warm := min(10, len(bodies))
	if _, err := post(url, bodies[:warm], o.conc); err != nil {
		r.Err = err
		return r
	}
	m0, _ := c.metrics()
	a0, _ := c.allocated()
	u0, s0, _ := c.cpu()
	start := time.Now()
	rss := sampleRSS(c.cmd.Process.Pid)
	lat, err := post(url, bodies, o.conc)
	r.SteadyRSS = rss.steady()
	r.Wall = time.Since(start)
	u1, s1, _ := c.cpu()
	if err != nil {
		r.Err = err
		return r
	}
	m1, _ := c.metrics()
	r.CPU = (u1 - u0) + (s1 - s0)
	r.EndRSS, r.PeakRSS = c.memory()
	r.Events = int(metric(m1, acceptedMetric) - metric(m0, acceptedMetric))
	a1, _ := c.allocated()
	r.Bytes = (a1 - a0) / float64(max(r.Events, 1))
	r.P50, r.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	r.Note = fmt.Sprintf("%d POSTs from %d clients; %.0f events/s wall", len(bodies), o.conc, float64(r.Events)/r.Wall.Seconds())
	return r
}

// runJQ is (c): `jq -c . < log > /dev/null`.
func runJQ(file string, n int) result {
	r := result{ID: "c", What: "`jq -c .` over the file (output to /dev/null)", Events: n, Mallocs: -1, Bytes: -1}
	jq, err := exec.LookPath("jq")
	if err != nil {
		r.Err = fmt.Errorf("jq not installed (apt-get install -y jq): %w", err)
		return r
	}
	var ver bytes.Buffer
	v := exec.Command(jq, "--version")
	v.Stdout = &ver
	_ = v.Run()
	r.What = fmt.Sprintf("`jq -c .` (%s) over the file, output to /dev/null", strings.TrimSpace(ver.String()))
	in, err := os.Open(file)
	if err != nil {
		r.Err = err
		return r
	}
	defer in.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		r.Err = err
		return r
	}
	defer null.Close()
	cmd := exec.Command(jq, "-c", ".")
	cmd.Stdin, cmd.Stdout = in, null
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.Err = err
		return r
	}
	// jq's own VmHWM, read until it exits: getrusage's maxrss of a child
	// counts the peak of this process, whose memory it starts from.
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var p int64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, hwm := procMemory(cmd.Process.Pid); hwm > p {
				p = hwm
			}
			select {
			case <-done:
				peak <- p
				return
			case <-tick.C:
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	r.PeakRSS = <-peak
	if err != nil {
		r.Err = fmt.Errorf("%w: %s", err, stderr.String())
		return r
	}
	r.Wall = time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return r
}

// runDecodeChild is one decoder of (d) in a child process of its own.
func runDecodeChild(self, id, name, file string) result {
	r := result{ID: id, What: decoders[name].desc, Mallocs: -1}
	cmd := exec.Command(self, "decode", "-impl", name, "-file", file)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		r.Err = fmt.Errorf("%w: %s", err, stderr.String())
		return r
	}
	var d decodeResult
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		r.Err = err
		return r
	}
	r.Events, r.CPU, r.Wall = d.Events, d.CPU, d.Wall
	r.Mallocs, r.Bytes = float64(d.Mallocs)/float64(d.Events), float64(d.Bytes)/float64(d.Events)
	r.PeakRSS = d.PeakRSS
	r.Note = "`" + name + "`"
	return r
}
