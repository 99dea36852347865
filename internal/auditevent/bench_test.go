// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
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
