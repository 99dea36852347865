// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Converter turns audit-event JSON into log records, one record per event.
type Converter struct {
	// RawBody keeps the event's JSON text as a string body instead of a map.
	RawBody bool
}

// Counts says how many records of each outcome a conversion appended.
type Counts struct {
	Events    int // valid audit events
	Malformed int // inputs that are not valid audit events
	Oversized int // events cut at the size limit
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Events += o.Events
	c.Malformed += o.Malformed
	c.Oversized += o.Oversized
}

// Records is the total number of records appended.
func (c Counts) Records() int { return c.Events + c.Malformed + c.Oversized }

// AppendEvent appends one record for one event's JSON (a log line). A bad
// input still yields a record that keeps the raw text and says what is wrong.
func (c *Converter) AppendEvent(lrs plog.LogRecordSlice, raw []byte, defaultAPIVersion string, observed pcommon.Timestamp) Counts {
	return c.appendEvent(lrs, raw, eventText(raw), defaultAPIVersion, observed)
}

// AppendOwnedEvent is AppendEvent for a line the caller hands over: the
// record's strings are sliced from raw itself instead of a copy of it, so
// raw must never be written to again. fileconsumer gives each line a buffer
// of its own (its decoder's output, which contrib's filelog input also
// keeps as the entry's body), so the file source hands its lines over.
func (c *Converter) AppendOwnedEvent(lrs plog.LogRecordSlice, raw []byte, observed pcommon.Timestamp) Counts {
	var text string
	if len(raw) > 0 && utf8.Valid(raw) {
		text = unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	return c.appendEvent(lrs, raw, text, "", observed)
}

// appendEvent appends raw's record; text is raw as a string, or "" when raw
// is not valid UTF-8.
func (c *Converter) appendEvent(lrs plog.LogRecordSlice, raw []byte, text, defaultAPIVersion string, observed pcommon.Timestamp) Counts {
	lr := lrs.AppendEmpty()
	if err := c.setEvent(lr, raw, text, defaultAPIVersion, observed); err != nil {
		lr.Attributes().Clear()
		SetBadInputRecord(lr, raw, ErrorTypeMalformed, err, observed)
		return Counts{Malformed: 1}
	}
	return Counts{Events: 1}
}

// AppendTruncated appends one record for an event whose JSON was cut at the
// size limit: the metadata that could be read before the cut, and an error
// saying so. The request and response objects are lost.
func (c *Converter) AppendTruncated(lrs plog.LogRecordSlice, prefix []byte, limit int, observed pcommon.Timestamp) Counts {
	lr := lrs.AppendEmpty()
	err := fmt.Errorf("audit event larger than the %d-byte limit; request and response objects dropped", limit)
	body := lr.Body().SetEmptyMap()
	if !ParsePrefix(prefix, body) {
		SetBadInputRecord(lr, prefix, ErrorTypeOversized, err, observed)
		return Counts{Oversized: 1}
	}
	ev := FromPartialMap(body, "")
	SetRecord(&ev, lr, observed)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	lr.Attributes().PutStr(AttrErrorType, ErrorTypeOversized)
	lr.Attributes().PutStr(AttrError, err.Error())
	return Counts{Oversized: 1}
}

func (c *Converter) setEvent(lr plog.LogRecord, raw []byte, text, defaultAPIVersion string, observed pcommon.Timestamp) error {
	if c.RawBody {
		return c.setRawEvent(lr, raw, text, defaultAPIVersion, observed)
	}
	if err := parseJSON(raw, text, lr.Body()); err != nil {
		return err
	}
	return setParsedEvent(lr, defaultAPIVersion, observed)
}

// setParsedEvent sets the record of the event whose JSON is lr's body.
func setParsedEvent(lr plog.LogRecord, defaultAPIVersion string, observed pcommon.Timestamp) error {
	body := lr.Body()
	if body.Type() != pcommon.ValueTypeMap {
		return ErrNotObject
	}
	ev, err := FromMap(body.Map(), defaultAPIVersion)
	if err != nil {
		return err
	}
	SetRecord(&ev, lr, observed)
	return nil
}

// setRawEvent is setEvent for body_format: raw. The body is the event's
// whole text (made valid UTF-8), and the fields are read from it without
// building a map.
func (c *Converter) setRawEvent(lr plog.LogRecord, raw []byte, text, defaultAPIVersion string, observed pcommon.Timestamp) error {
	ev, err := scanEvent(raw, text, defaultAPIVersion)
	if err != nil {
		return err
	}
	SetRecord(&ev, lr, observed)
	if text == "" {
		text = repairUTF8(raw)
	}
	lr.Body().SetStr(text)
	return nil
}

// ErrPayload is wrapped by AppendPayload's errors about the payload as a
// whole (its syntax or shape), as opposed to a bad event inside it.
var ErrPayload = errors.New("invalid payload")

// AppendPayload appends the records of a webhook body: an audit.k8s.io
// EventList (kube-apiserver's webhook backend; its items may lack kind and
// apiVersion), a single Event, or a JSON array of events. A bad item yields a
// bad-input record and the others still flow; an error is returned only when
// the payload as a whole cannot be read, and then nothing is appended.
func (c *Converter) AppendPayload(lrs plog.LogRecordSlice, payload []byte, observed pcommon.Timestamp) (Counts, error) {
	start := lrs.Len()
	if counts, ok := c.appendLexedPayload(lrs, payload, observed); ok {
		return counts, nil
	}
	truncate(lrs, start)
	counts, err := c.appendPayload(lrs, payload, observed)
	if err != nil {
		truncate(lrs, start)
		return Counts{}, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	return counts, nil
}

// truncate removes the records from index n on.
func truncate(lrs plog.LogRecordSlice, n int) {
	i := 0
	lrs.RemoveIf(func(plog.LogRecord) bool { i++; return i > n })
}

func (c *Converter) appendPayload(lrs plog.LogRecordSlice, payload []byte, observed pcommon.Timestamp) (Counts, error) {
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	if len(trimmed) == 0 {
		return Counts{}, errors.New("empty body")
	}
	pd := getDecoder(payload)
	defer putDecoder(pd)
	dec := pd.dec
	switch trimmed[0] {
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return Counts{}, syntaxError(err)
		}
		counts, err := c.appendItems(dec, lrs, "", observed)
		if err != nil {
			return counts, err
		}
		return counts, expectEOF(dec)
	case '{':
		return c.appendObject(dec, lrs, payload, observed)
	default:
		return Counts{}, errors.New("body must be a JSON object (an EventList or an Event) or an array of events")
	}
}

// appendObject reads a top-level object: an EventList's items are converted
// as they are read; an object without items is a single event.
func (c *Converter) appendObject(dec *jsontext.Decoder, lrs plog.LogRecordSlice, payload []byte, observed pcommon.Timestamp) (Counts, error) {
	if _, err := dec.ReadToken(); err != nil {
		return Counts{}, syntaxError(err)
	}
	var counts Counts
	var kind, apiVersion string
	sawItems := false
	for dec.PeekKind() != '}' {
		key, err := dec.ReadToken()
		if err != nil {
			return counts, syntaxError(err)
		}
		// A token is valid only until the next read.
		name := key.String()
		switch name {
		case "kind", "apiVersion":
			v, err := dec.ReadToken()
			if err != nil {
				return counts, syntaxError(err)
			}
			if v.Kind() == '"' {
				if name == "kind" {
					kind = v.String()
				} else {
					apiVersion = v.String()
				}
			}
		case "items":
			if kind != "" && kind != "EventList" {
				if err := skipValue(dec); err != nil {
					return counts, syntaxError(err)
				}
				continue
			}
			if apiVersion != "" && apiVersion != APIVersionV1 && apiVersion != APIVersionV1beta1 {
				return counts, fmt.Errorf("EventList apiVersion %q is not supported, want %s or %s", apiVersion, APIVersionV1, APIVersionV1beta1)
			}
			if dec.PeekKind() != '[' {
				return counts, errors.New("EventList items must be an array")
			}
			if _, err := dec.ReadToken(); err != nil {
				return counts, syntaxError(err)
			}
			sawItems = true
			n, err := c.appendItems(dec, lrs, apiVersion, observed)
			counts.Add(n)
			if err != nil {
				return counts, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return counts, syntaxError(err)
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return counts, syntaxError(err)
	}
	if err := expectEOF(dec); err != nil {
		return counts, err
	}
	switch {
	case kind == "EventList" || (kind == "" && sawItems):
		if apiVersion != "" && apiVersion != APIVersionV1 && apiVersion != APIVersionV1beta1 {
			return counts, fmt.Errorf("EventList apiVersion %q is not supported, want %s or %s", apiVersion, APIVersionV1, APIVersionV1beta1)
		}
		return counts, nil
	case kind == "Event" || kind == "":
		return c.AppendEvent(lrs, payload, "", observed), nil
	default:
		return counts, fmt.Errorf("kind %q is not EventList or Event", kind)
	}
}

// appendItems appends the items of a list, each read out and converted on
// its own, as a log line is: its record's strings are sliced from its own
// copy of its text, not from the payload.
func (c *Converter) appendItems(dec *jsontext.Decoder, lrs plog.LogRecordSlice, apiVersion string, observed pcommon.Timestamp) (Counts, error) {
	var counts Counts
	for dec.PeekKind() != ']' {
		item, err := dec.ReadValue()
		if err != nil {
			return counts, syntaxError(err)
		}
		counts.Add(c.AppendEvent(lrs, item, apiVersion, observed))
	}
	if _, err := dec.ReadToken(); err != nil {
		return counts, syntaxError(err)
	}
	return counts, nil
}

func expectEOF(dec *jsontext.Decoder) error {
	_, err := dec.ReadToken()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return errors.New("invalid JSON: unexpected data after the top-level value")
	default:
		return syntaxError(err)
	}
}
