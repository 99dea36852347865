// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// appendLexedPayload reads a webhook body with the lexer. The payload is
// copied once, as a string its records' strings are sliced from (the
// caller reuses the payload's buffer); a structured item is built in the
// same pass that checks it, and a raw item is scanned from its text. Before,
// each item was found in one pass and read from its own copy in another: 7 %
// of the structured webhook's CPU.
//
// It reads only the shapes kube-apiserver sends: a JSON array of items, or
// an object with an items array whose kind and apiVersion, where given, are
// EventList and one it reads. On anything else (a syntax error, another
// shape, a single event) it returns false, and the caller removes what it
// appended and reads the payload with jsontext, which says what is wrong.
func (c *Converter) appendLexedPayload(lrs plog.LogRecordSlice, payload []byte, observed pcommon.Timestamp) (Counts, bool) {
	l := lexer{b: payload}
	first := l.peek()
	if first != '[' && first != '{' {
		return Counts{}, false
	}
	text := payloadText(payload)
	if first == '[' {
		counts := c.appendLexedItems(&l, text, lrs, "", observed)
		return counts, l.atEOF()
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
			counts = c.appendLexedItems(&s.l, text, lrs, apiVersion, observed)
		default:
			s.l.skip()
		}
	})
	return counts, ok && sawItems && !s.general && s.l.atEOF()
}

// payloadText is payload's copy as a string, or "" when payload is not
// valid UTF-8: each item is then read from its own copy, whose invalid
// bytes become U+FFFD as a log line's do.
func payloadText(payload []byte) string {
	if utf8.Valid(payload) {
		return string(payload)
	}
	return ""
}

// appendLexedItems appends the items of the array that comes next; text is
// the whole payload's, or "".
func (c *Converter) appendLexedItems(l *lexer, text string, lrs plog.LogRecordSlice, apiVersion string, observed pcommon.Timestamp) Counts {
	var counts Counts
	if !l.open('[') {
		return counts
	}
	for first := true; l.more(']', first); first = false {
		counts.Add(c.appendLexedItem(l, text, lrs, apiVersion, observed))
		if l.failed {
			break
		}
	}
	return counts
}

// appendLexedItem appends the record of the item that comes next. On a
// syntax error the lexer fails and the caller gives up the payload.
func (c *Converter) appendLexedItem(l *lexer, text string, lrs plog.LogRecordSlice, apiVersion string, observed pcommon.Timestamp) Counts {
	if text == "" {
		item := l.value()
		if l.failed {
			return Counts{}
		}
		return c.AppendEvent(lrs, item, apiVersion, observed)
	}
	l.peek()
	start := l.i
	if c.RawBody {
		l.skip()
		if l.failed {
			return Counts{}
		}
		return c.appendEvent(lrs, l.b[start:l.i], text[start:l.i], apiVersion, observed)
	}
	lr := lrs.AppendEmpty()
	if readValue(l, text, lr.Body()); l.failed {
		return Counts{}
	}
	if err := setParsedEvent(lr, apiVersion, observed); err != nil {
		lr.Attributes().Clear()
		SetBadInputRecord(lr, l.b[start:l.i], ErrorTypeMalformed, err, observed)
		return Counts{Malformed: 1}
	}
	return Counts{Events: 1}
}
