// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

// Command auditgen writes a realistic kube-apiserver audit log for
// benchmarks (see internal/auditgen):
//
//	go run ./cmd/auditgen -n 500000 -seed 1 -o _out/bench/audit.log
//	go run ./cmd/auditgen -n 500000 -format eventlist -o _out/bench/batches.jsonl
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
)

func main() {
	n := flag.Int("n", 100000, "number of audit events")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same bytes")
	out := flag.String("o", "-", "output file, - for stdout")
	format := flag.String("format", "log", `"log": JSON lines as the log backend writes them; "eventlist": webhook EventList bodies, one per line`)
	batch := flag.Int("batch", 400, "events per EventList (kube-apiserver's --audit-webhook-batch-max-size default)")
	metadataOnly := flag.Bool("metadata-only", false, "log every request at Metadata level (no request or response objects)")
	flag.Parse()
	if err := run(*n, *seed, *out, *format, *batch, *metadataOnly); err != nil {
		fmt.Fprintln(os.Stderr, "auditgen:", err)
		os.Exit(1)
	}
}

func run(n int, seed uint64, out, format string, batch int, metadataOnly bool) error {
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	opts := auditgen.Options{Seed: seed, MetadataOnly: metadataOnly}
	var err error
	switch format {
	case "log":
		err = auditgen.WriteLog(bw, n, opts)
	case "eventlist":
		if batch < 1 {
			return fmt.Errorf("-batch must be positive")
		}
		err = auditgen.WriteEventLists(bw, n, batch, opts)
	default:
		return fmt.Errorf("-format %q is not log or eventlist", format)
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && out != "-" {
		return f.Close()
	}
	return nil
}
