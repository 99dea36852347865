// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"github.com/bytedance/sonic"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	goccy "github.com/goccy/go-json"
	jsoniter "github.com/json-iterator/go"
	"github.com/minio/simdjson-go"
	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// decoder decodes one audit event's JSON; it keeps what it needs between
// calls (a parser, a record slice) as the real users do.
type decoder func(line []byte) error

// decoders are the raw decodes of (d): the reference (encoding/json into
// the k8s.io/apiserver type, what kube-apiserver itself uses), ours
// (internal/auditevent: into pdata, and into pdata plus the attribute
// mapping), and the other libraries the issue names or the module graph
// holds, for choosing a decoder on measurements.
// convertDecoder runs the receiver's per-line work, keeping up to 1000
// records alive as a batch would.
func convertDecoder(conv auditevent.Converter) decoder {
	lrs := plog.NewLogRecordSlice()
	return func(line []byte) error {
		if lrs.Len() == 1000 {
			lrs = plog.NewLogRecordSlice()
		}
		if n := conv.AppendEvent(lrs, line, "", 0); n.Events != 1 {
			return errors.New("not an audit event")
		}
		return nil
	}
}

var decoders = map[string]struct {
	desc string
	make func() decoder
}{
	"stdlib": {"encoding/json → auditv1.Event (k8s.io/apiserver)", func() decoder {
		return func(line []byte) error { var ev auditv1.Event; return json.Unmarshal(line, &ev) }
	}},
	"ours-convert": {"internal/auditevent Converter.AppendEvent (decode into pdata + attributes, the receiver's work per line)", func() decoder {
		return convertDecoder(auditevent.Converter{})
	}},
	"ours-raw": {"internal/auditevent Converter.AppendEvent with `body_format: raw` (attributes read from the text, no body map)", func() decoder {
		return convertDecoder(auditevent.Converter{RawBody: true})
	}},
	"ours-parse": {"internal/auditevent ParseJSON (decode into a pdata map only)", func() decoder {
		return func(line []byte) error { return auditevent.ParseJSON(line, pcommon.NewValueEmpty()) }
	}},
	"jsonv2": {"go-json-experiment/json v1.27.2 → auditv1.Event", func() decoder {
		return func(line []byte) error { var ev auditv1.Event; return jsonv2.Unmarshal(line, &ev) }
	}},
	"goccy": {"goccy/go-json v0.10.6 → auditv1.Event", func() decoder {
		return func(line []byte) error { var ev auditv1.Event; return goccy.Unmarshal(line, &ev) }
	}},
	"jsoniter": {"json-iterator/go v1.1.12 (std-compatible) → auditv1.Event", func() decoder {
		api := jsoniter.ConfigCompatibleWithStandardLibrary
		return func(line []byte) error { var ev auditv1.Event; return api.Unmarshal(line, &ev) }
	}},
	"fastjson": {"valyala/fastjson v1.6.10 parse (a reusable tree, no typed struct)", func() decoder {
		var p fastjson.Parser
		return func(line []byte) error { _, err := p.ParseBytes(line); return err }
	}},
	"sonic": {"bytedance/sonic v1.15.5 (JIT-compiled decoders, amd64 and arm64) → auditv1.Event", func() decoder {
		return func(line []byte) error { var ev auditv1.Event; return sonic.Unmarshal(line, &ev) }
	}},
	"simdjson": {"minio/simdjson-go v0.4.5 parse (a reusable tape, no typed struct; AVX2 and CLMUL only)", func() decoder {
		var pj *simdjson.ParsedJson
		return func(line []byte) error {
			if !simdjson.SupportedCPU() {
				return errors.New("simdjson-go: this CPU lacks AVX2 or CLMUL")
			}
			var err error
			pj, err = simdjson.Parse(line, pj)
			return err
		}
	}},
	"jsontext": {"jsontext (go-json-experiment) syntax check only: the floor of the general decoder, which reads what our lexer does not take", func() decoder {
		var buf bytes.Buffer
		dec := jsontext.NewDecoder(&buf)
		return func(line []byte) error {
			buf = *bytes.NewBuffer(line) // read in place, as auditevent does
			dec.Reset(&buf)
			_, err := dec.ReadValue()
			return err
		}
	}},
}

func decoderNames() []string {
	var names []string
	for k := range decoders {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// decodeResult is what the decode child reports on stdout.
type decodeResult struct {
	Events  int
	CPU     time.Duration
	Wall    time.Duration
	Mallocs uint64
	Bytes   uint64
	PeakRSS int64
}

// runDecode is the child side of (d): it streams the file line by line, as
// the file source does, through one decoder, and reports its own CPU time
// for that loop (start-up excluded) and its allocations.
func runDecode(name, path, cpuprofile string) error {
	d, ok := decoders[name]
	if !ok {
		return fmt.Errorf("unknown decoder %q", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := d.make()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var ms0, ms1 runtime.MemStats
	if cpuprofile != "" {
		pf, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.ReadMemStats(&ms0)
	u0, s0 := selfCPU()
	start := time.Now()
	n := 0
	for sc.Scan() {
		if err := dec(sc.Bytes()); err != nil {
			return fmt.Errorf("line %d: %w", n+1, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	wall := time.Since(start)
	u1, s1 := selfCPU()
	runtime.ReadMemStats(&ms1)
	_, peak := procMemory(os.Getpid())
	return json.NewEncoder(os.Stdout).Encode(decodeResult{
		Events: n, CPU: (u1 - u0) + (s1 - s0), Wall: wall,
		Mallocs: ms1.Mallocs - ms0.Mallocs, Bytes: ms1.TotalAlloc - ms0.TotalAlloc,
		PeakRSS: peak,
	})
}

func selfCPU() (user, sys time.Duration) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
