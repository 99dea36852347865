// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// StageTimes is what a request's span needs of one of its events: the stage
// and its timestamps, with v1beta1's fallbacks as in Event.
type StageTimes struct {
	Stage           string
	StageTime       time.Time
	RequestReceived time.Time

	requestReceivedText string // what RequestReceived was read from
}

// timeFields are the members StageTimes comes from.
type timeFields struct {
	stage, stageTimestamp, requestReceivedTimestamp, timestamp, creationTimestamp string
}

func (f *timeFields) times() StageTimes {
	t := StageTimes{Stage: f.stage}
	t.StageTime, _ = firstTime(f.stageTimestamp, f.timestamp, f.creationTimestamp)
	t.RequestReceived, t.requestReceivedText = firstTime(f.requestReceivedTimestamp, f.timestamp, f.creationTimestamp)
	return t
}

// StageTimesOfMap reads StageTimes from an event's map body, as
// FromPartialMap would, in one pass over its top level and reading nothing
// else.
func StageTimesOfMap(body pcommon.Map) StageTimes {
	var f timeFields
	for k, v := range body.All() {
		f.read(k, v)
	}
	return f.times()
}

// read takes the member k of an event's map if it is one of timeFields.
func (f *timeFields) read(k string, v pcommon.Value) {
	switch k {
	case "stage":
		f.stage = strOf(v)
	case "stageTimestamp":
		f.stageTimestamp = strOf(v)
	case "requestReceivedTimestamp":
		f.requestReceivedTimestamp = strOf(v)
	case "timestamp":
		f.timestamp = strOf(v)
	case "metadata":
		f.creationTimestamp = str(mapOfValue(v), "creationTimestamp")
	}
}

// StageTimesOfText reads StageTimes from an event's JSON text (a
// body_format: raw body). Every other member, the request and response
// objects above all, is skipped without being built. Text that is not an
// object gives nothing. Text that is not valid JSON (never the receiver's
// body: it makes a bad-input record) gives what gjson reads of it, which
// may include members past the fault.
//
// gjson skips values about twice as fast as a tokenizer that checks them,
// which matters because the processor and the connector each read every
// raw event's times. It unquotes as the strict decoder does; invalid UTF-8,
// which gjson would keep as it is, is left to the strict decoder, so both
// give the same for any valid text (FuzzAppendEvent compares them).
func StageTimesOfText(text string) StageTimes {
	if !utf8.ValidString(text) {
		return strictStageTimesOfText(text)
	}
	f := quickTimeFields(text)
	return f.times()
}

// quickTimeFields reads timeFields with gjson from valid UTF-8.
func quickTimeFields(text string) (f timeFields) {
	gjson.Parse(text).ForEach(func(key, v gjson.Result) bool {
		var dst *string
		switch key.Str {
		case "stage":
			dst = &f.stage
		case "stageTimestamp":
			dst = &f.stageTimestamp
		case "requestReceivedTimestamp":
			dst = &f.requestReceivedTimestamp
		case "timestamp":
			dst = &f.timestamp
		case "metadata":
			// A later value of the same name hides an earlier object.
			f.creationTimestamp = ""
			if v.IsObject() {
				quickCreationTimestamp(v, &f.creationTimestamp)
			}
			return true
		default:
			return true
		}
		*dst = quickStr(v)
		return true
	})
	return f
}

func quickCreationTimestamp(metadata gjson.Result, dst *string) {
	metadata.ForEach(func(key, v gjson.Result) bool {
		if key.Str == "creationTimestamp" {
			*dst = quickStr(v)
		}
		return true
	})
}

// quickStr is a member's value as the strict decoder's str reads it: ""
// for a value that is not a string.
func quickStr(v gjson.Result) string {
	if v.Type != gjson.String {
		return ""
	}
	return v.Str
}

// strictStageTimesOfText is StageTimesOfText with the strict lexer: what
// precedes a syntax error is kept.
func strictStageTimesOfText(text string) StageTimes {
	// Nothing writes to the bytes: the lexer only reads them.
	s := scanner{l: lexer{b: unsafe.Slice(unsafe.StringData(text), len(text))}, text: text, unquoteNames: true}
	if !utf8.ValidString(text) {
		s.text = "" // strings are then unquoted into copies
	}
	var f timeFields
	s.timeFields(&f)
	return f.times()
}

// timeFields reads the members of timeFields from the top level of an
// object.
func (s *scanner) timeFields(f *timeFields) {
	s.members(func(name []byte) {
		if string(name) == "stage" {
			f.stage = s.str()
			return
		}
		s.timeField(name, f)
	})
}

// timeField reads the member name into f if it is one of timeFields other
// than the stage (which an event scan reads into Event.Stage), and skips
// it otherwise.
func (s *scanner) timeField(name []byte, f *timeFields) {
	switch string(name) {
	case "stageTimestamp":
		f.stageTimestamp = s.str()
	case "requestReceivedTimestamp":
		f.requestReceivedTimestamp = s.str()
	case "timestamp":
		f.timestamp = s.str()
	case "metadata":
		s.creationTimestamp(&f.creationTimestamp)
	default:
		s.l.skip()
	}
}
