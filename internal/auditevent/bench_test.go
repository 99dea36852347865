// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditgen"
)

var benchInputs = []struct{ name, path string }{
	{"Metadata", "testdata/mapping/v1-responsecomplete-impersonated.json"},
	{"RequestResponse", "testdata/mapping/v1-responsecomplete-create-deployment.json"},
}

func readBench(b *testing.B, path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkAppendEvent is the per-event cost of the file path: decode one
// line into a structured body and map it to attributes.
func BenchmarkAppendEvent(b *testing.B) {
	for _, in := range benchInputs {
		raw := readBench(b, in.path)
		b.Run(in.name, func(b *testing.B) {
			c := Converter{}
			lrs := plog.NewLogRecordSlice()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if lrs.Len() == 1000 {
					lrs = plog.NewLogRecordSlice()
				}
				if n := c.AppendEvent(lrs, raw, "", testObserved); n.Events != 1 {
					b.Fatal("not an event")
				}
			}
		})
	}
}

// BenchmarkAppendEventRaw is AppendEvent for body_format: raw, which reads
// the fields from the text without building a map.
func BenchmarkAppendEventRaw(b *testing.B) {
	for _, in := range benchInputs {
		raw := readBench(b, in.path)
		b.Run(in.name, func(b *testing.B) {
			c := Converter{RawBody: true}
			lrs := plog.NewLogRecordSlice()
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if lrs.Len() == 1000 {
					lrs = plog.NewLogRecordSlice()
				}
				if n := c.AppendEvent(lrs, raw, "", testObserved); n.Events != 1 {
					b.Fatal("not an event")
				}
			}
		})
	}
}

// BenchmarkAppendPayload is the webhook path for one real EventList batch.
func BenchmarkAppendPayload(b *testing.B) {
	raw := readBench(b, "testdata/mapping/webhook-eventlist.body")
	for _, bodyRaw := range []bool{false, true} {
		name := "structured"
		if bodyRaw {
			name = "raw"
		}
		b.Run(name, func(b *testing.B) {
			c := Converter{RawBody: bodyRaw}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				lrs := plog.NewLogRecordSlice()
				if _, err := c.AppendPayload(lrs, raw, testObserved); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStdlibDecode is the reference point: encoding/json into the
// k8s.io/apiserver audit type, with no pdata at all.
func BenchmarkStdlibDecode(b *testing.B) {
	for _, in := range benchInputs {
		raw := readBench(b, in.path)
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				var ev auditv1.Event
				if err := json.Unmarshal(raw, &ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStageTimesOfText is what the processor and the connector each
// spend per raw event on its times, against the strict decoder it spares.
func BenchmarkStageTimesOfText(b *testing.B) {
	for _, in := range benchInputs {
		var compact bytes.Buffer // as the log backend writes it
		if err := json.Compact(&compact, readBench(b, in.path)); err != nil {
			b.Fatal(err)
		}
		text := compact.String()
		for _, read := range []struct {
			name string
			fn   func(string) StageTimes
		}{{"quick", StageTimesOfText}, {"strict", strictStageTimesOfText}} {
			b.Run(in.name+"/"+read.name, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					if read.fn(text).RequestReceived.IsZero() {
						b.Fatal("no requestReceivedTimestamp")
					}
				}
			})
		}
	}
}

// generatedLines is a log of n generated events, as kube-apiserver writes
// them: compact, one per line.
func generatedLines(b *testing.B, n int, metadataOnly bool) [][]byte {
	var log bytes.Buffer
	if err := auditgen.WriteLog(&log, n, auditgen.Options{Seed: 1, MetadataOnly: metadataOnly}); err != nil {
		b.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(log.Bytes()), []byte("\n"))
}

// BenchmarkReadGenerated is the per-event cost of each way of reading an
// event over 2,000 generated lines (ns/event): the syntax check alone by
// the lexer and by jsontext (which reads what the lexer does not take), the
// raw scan, and the structured body; and pdata-copy, a copy of the bodies
// already built: the allocations of the structured body without reading
// any JSON, a floor under any way of building it.
func BenchmarkReadGenerated(b *testing.B) {
	for _, mix := range []struct {
		name         string
		metadataOnly bool
	}{{"Metadata", true}, {"Mixed", false}} {
		lines := generatedLines(b, 2000, mix.metadataOnly)
		texts := make([]string, len(lines))
		bodies := make([]pcommon.Value, len(lines))
		for i, ln := range lines {
			texts[i] = string(ln)
			bodies[i] = pcommon.NewValueEmpty()
			require.NoError(b, parseJSON(ln, texts[i], bodies[i]))
		}
		for _, read := range []struct {
			name string
			fn   func(i int) bool
		}{
			{"lexer", func(i int) bool { l := lexer{b: lines[i]}; l.skip(); return l.atEOF() }},
			{"jsontext", func(i int) bool {
				pd := getDecoder(lines[i])
				_, err := pd.dec.ReadValue()
				putDecoder(pd)
				return err == nil
			}},
			{"scan", func(i int) bool { _, err := scanEvent(lines[i], texts[i], ""); return err == nil }},
			{"ParseJSON", func(i int) bool { return parseJSON(lines[i], texts[i], pcommon.NewValueEmpty()) == nil }},
			{"pdata-copy", func(i int) bool { bodies[i].CopyTo(pcommon.NewValueEmpty()); return true }},
		} {
			b.Run(mix.name+"/"+read.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for i := range lines {
						if !read.fn(i) {
							b.Fatalf("line %d not read", i)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/event")
			})
		}
	}
}
