// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// appendLexedPayload reads a webhook body with the lexer: one pass finds
// each item, which is then read from its own copy of its text, as a log
// line is. For body_format: raw, jsontext would check each item once to
// find its end and the scan would check it again (10 % more CPU for the
// webhook, measured); a structured item's strings are sliced from its copy
// instead of copied one by one.
//
// It reads only the shapes kube-apiserver sends: a JSON array of items, or
// an object with an items array whose kind and apiVersion, where given, are
// EventList and one it reads. On anything else (a syntax error, another
// shape, a single event) it returns false, and the caller removes what it
// appended and reads the payload with jsontext, which says what is wrong.
func (c *Converter) appendLexedPayload(lrs plog.LogRecordSlice, payload []byte, observed pcommon.Timestamp) (Counts, bool) {
	l := lexer{b: payload}
	switch l.peek() {
	case '[':
		counts := c.appendLexedItems(&l, lrs, "", observed)
		return counts, l.atEOF()
	case '{':
	default:
		return Counts{}, false
	}
	var counts Counts
	var apiVersion string
	sawItems, ok := false, true
	s := scanner{l: l}
	s.members(func(name []byte) {
		switch string(name) {
		case "kind", "apiVersion":
			if s.l.peek() != '"' {
				ok = false // jsontext's reader ignores it
				s.l.skip()
				return
			}
			v := s.str()
			switch {
			case string(name) == "kind":
				ok = ok && (v == "" || v == "EventList")
			case v == "" || v == APIVersionV1 || v == APIVersionV1beta1:
				apiVersion = v
			default:
				ok = false
			}
		case "items":
			if s.l.peek() != '[' || sawItems {
				ok = false
				s.l.fail()
				return
			}
			sawItems = true
			counts = c.appendLexedItems(&s.l, lrs, apiVersion, observed)
		default:
			s.l.skip()
		}
	})
	return counts, ok && sawItems && !s.general && s.l.atEOF()
}

// appendLexedItems appends the items of the array that comes next.
func (c *Converter) appendLexedItems(l *lexer, lrs plog.LogRecordSlice, apiVersion string, observed pcommon.Timestamp) Counts {
	var counts Counts
	if !l.open('[') {
		return counts
	}
	for first := true; l.more(']', first); first = false {
		item := l.value()
		if l.failed {
			break
		}
		counts.Add(c.AppendEvent(lrs, item, apiVersion, observed))
	}
	return counts
}
