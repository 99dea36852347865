// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// scanEvent reads an event for body_format: raw in one pass: the fields the
// mapping needs go straight into an Event, and everything else (the request
// and response objects above all) is only syntax-checked, never built. It
// accepts and refuses exactly what ParseJSON followed by FromMap does, with
// the same errors. text is raw as a string when raw is valid UTF-8, else "":
// strings without escapes are then sliced from it instead of copied.
func scanEvent(raw []byte, text, defaultAPIVersion string) (Event, error) {
	pd := getDecoder(raw)
	s := scanner{dec: pd.dec, text: text}
	ev, f := newScannedEvent()
	err := s.event(&ev, &f)
	if err == nil {
		err = expectEOF(s.dec)
	} else {
		err = syntaxError(err)
	}
	putDecoder(pd)
	if err != nil || s.general {
		// What the scan cannot settle the general decoder does, with its
		// messages: a document that is not an object, a syntax error, or
		// an escaped member name, which may spell one of the fields.
		return scanGeneral(raw, defaultAPIVersion)
	}
	err = f.finish(&ev, defaultAPIVersion)
	return ev, err
}

// newScannedEvent is the Event a scan fills, with the fields it reads
// beyond it.
func newScannedEvent() (Event, scannedFields) {
	return Event{Body: emptyMap, owned: true, SourceIPs: emptySlice, Annotations: emptyMap,
		User: UserInfo{Groups: emptySlice}, ImpersonatedUser: UserInfo{Groups: emptySlice}}, scannedFields{}
}

// finish completes a scanned event from the fields read beyond it, and
// validates it.
func (f *scannedFields) finish(ev *Event, defaultAPIVersion string) error {
	ev.APIVersion = defaultAPIVersion
	if f.apiVersion.present && !f.apiVersion.notStr && f.apiVersion.str != "" {
		ev.APIVersion = f.apiVersion.str
	}
	t := f.times()
	ev.StageTime, ev.RequestReceived, ev.RequestReceivedText = t.StageTime, t.RequestReceived, t.requestReceivedText
	return ev.validateFields(f.kind, f.apiVersion, f.stageTimestamp)
}

func scanGeneral(raw []byte, defaultAPIVersion string) (Event, error) {
	body := pcommon.NewValueEmpty()
	if err := ParseJSON(raw, body); err != nil {
		return Event{}, err
	}
	if body.Type() != pcommon.ValueTypeMap {
		return Event{}, ErrNotObject
	}
	return FromMap(body.Map(), defaultAPIVersion)
}

// ScanText reads a valid event from its JSON text (a body_format: raw body)
// as FromMap would from its map, without building the map: the Event's
// strings share text's memory, and its Body and Annotations are empty (the
// authorization annotations are in AuthzDecision and AuthzReason).
func ScanText(text string) (ev Event, err error) {
	if !utf8.ValidString(text) {
		ev, err = scanEvent([]byte(text), "", "")
	} else {
		ev, err = scanEvent([]byte(text), text, "")
	}
	ev.materializeLists()
	return ev, err
}

// scannedFields are what validation and the timestamps need beyond Event.
type scannedFields struct {
	kind, apiVersion checked
	timeFields       // the stage is read into Event.Stage
}

type scanner struct {
	dec  *jsontext.Decoder
	text string
	// general is set on a member name with escapes, which the scan does
	// not unquote (skip): the general decoder then reads the event.
	general bool
}

func (s *scanner) event(ev *Event, f *scannedFields) error {
	if tok, err := s.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		s.general = err == nil
		return err
	}
	for s.dec.PeekKind() != '}' {
		key, err := s.dec.ReadValue()
		if err != nil {
			return err
		}
		var err2 error
		switch string(key) {
		case `"kind"`:
			f.kind, err2 = s.checked()
		case `"apiVersion"`:
			f.apiVersion, err2 = s.checked()
		case `"level"`:
			ev.Level, err2 = s.str()
		case `"auditID"`:
			ev.AuditID, err2 = s.str()
		case `"stage"`:
			ev.Stage, err2 = s.str()
		case `"requestURI"`:
			ev.RequestURI, err2 = s.str()
		case `"verb"`:
			ev.Verb, err2 = s.str()
		case `"userAgent"`:
			ev.UserAgent, err2 = s.str()
		case `"user"`:
			err2 = s.user(ev, &ev.User, listUserGroups)
		case `"impersonatedUser"`:
			err2 = s.user(ev, &ev.ImpersonatedUser, listImpersonatedGroups)
		case `"sourceIPs"`:
			err2 = s.list(ev, listSourceIPs)
		case `"objectRef"`:
			ev.ObjectRef, err2 = s.objectRef()
		case `"responseStatus"`:
			err2 = s.responseStatus(ev)
		case `"annotations"`:
			err2 = s.annotations(ev)
		case `"stageTimestamp"`:
			f.stageTimestamp, err2 = s.str()
		case `"requestReceivedTimestamp"`:
			f.requestReceivedTimestamp, err2 = s.str()
		case `"timestamp"`:
			f.timestamp, err2 = s.str()
		case `"metadata"`:
			err2 = s.object(func(name []byte) (err error) {
				if string(name) == "creationTimestamp" {
					f.creationTimestamp, err = s.str()
					return err
				}
				return s.skip(name)
			}, func() { f.creationTimestamp = "" })
		default:
			err2 = s.skip(key)
		}
		if err2 != nil || s.general {
			return err2
		}
	}
	_, err := s.dec.ReadToken()
	return err
}

// str reads a value that the mapping wants as a string: anything else reads
// as "", as str() on a map does.
func (s *scanner) str() (string, error) {
	// One ReadValue, which skips any other kind of value as well: a
	// PeekKind first would cost as much again.
	lit, err := s.dec.ReadValue()
	if err != nil || lit[0] != '"' {
		return "", err
	}
	return s.unquote(lit), nil
}

// unquote slices the string out of the event's text when it has no escapes.
func (s *scanner) unquote(lit []byte) string {
	if s.text != "" && bytes.IndexByte(lit, '\\') < 0 {
		end := int(s.dec.InputOffset())
		return s.text[end-len(lit)+1 : end-1]
	}
	return unquote(lit)
}

// checked reads a field that validation looks at; only a value that is not
// a string, which validation refuses, is decoded in full.
func (s *scanner) checked() (checked, error) {
	if s.dec.PeekKind() == '"' {
		str, err := s.str()
		return checked{present: true, str: str}, err
	}
	v := pcommon.NewValueEmpty()
	return checked{present: true, notStr: true, other: v}, readValue(s.dec, v)
}

// skip skips the value of a member the scan does not read. A name with
// escapes is never one the scan reads as such, but may spell one: the
// general decoder then reads the event.
func (s *scanner) skip(name []byte) error {
	if bytes.IndexByte(name, '\\') >= 0 {
		s.general = true
		return nil
	}
	return skipValue(s.dec)
}

// object calls member for each member name of an object, which must read
// its value (or skip it). A value that is not an object is skipped and
// reset is called, as a later non-object value of the same name hides an
// earlier object.
func (s *scanner) object(member func(name []byte) error, reset func()) error {
	if s.dec.PeekKind() != '{' {
		reset()
		return skipValue(s.dec)
	}
	reset()
	if _, err := s.dec.ReadToken(); err != nil {
		return err
	}
	for s.dec.PeekKind() != '}' {
		key, err := s.dec.ReadValue()
		if err != nil {
			return err
		}
		if err := member(key[1 : len(key)-1]); err != nil || s.general {
			return err
		}
	}
	_, err := s.dec.ReadToken()
	return err
}

// user reads a user block into u, one of ev's, whose groups are list id.
func (s *scanner) user(ev *Event, u *UserInfo, id listID) error {
	return s.object(func(name []byte) (err error) {
		switch string(name) {
		case "username":
			u.Username, err = s.str()
		case "uid":
			u.UID, err = s.str()
		case "groups":
			err = s.list(ev, id)
		default:
			err = s.skip(name)
		}
		return err
	}, func() { *u, ev.lists[id] = UserInfo{Groups: emptySlice}, strList{} })
}

func (s *scanner) objectRef() (ObjectRef, error) {
	var ref ObjectRef
	err := s.object(func(name []byte) (err error) {
		switch string(name) {
		case "resource":
			ref.Resource, err = s.str()
		case "namespace":
			ref.Namespace, err = s.str()
		case "name":
			ref.Name, err = s.str()
		case "uid":
			ref.UID, err = s.str()
		case "apiGroup":
			ref.APIGroup, err = s.str()
		case "apiVersion":
			ref.APIVersion, err = s.str()
		case "subresource":
			ref.Subresource, err = s.str()
		default:
			err = s.skip(name)
		}
		return err
	}, func() { ref = ObjectRef{} })
	return ref, err
}

func (s *scanner) responseStatus(ev *Event) error {
	return s.object(func(name []byte) error {
		switch string(name) {
		case "code":
			if s.dec.PeekKind() != '0' {
				ev.ResponseCode = 0
				return skipValue(s.dec)
			}
			lit, err := s.dec.ReadValue()
			if err != nil {
				return err
			}
			ev.ResponseCode = parseCode(lit)
			return nil
		case "reason":
			var err error
			ev.ResponseReason, err = s.str()
			return err
		default:
			return s.skip(name)
		}
	}, func() { ev.ResponseCode, ev.ResponseReason = 0, "" })
}

func (s *scanner) annotations(ev *Event) error {
	return s.object(func(name []byte) (err error) {
		switch string(name) {
		case annotationAuthzDecison:
			ev.AuthzDecision, err = s.str()
		case annotationAuthzReason:
			ev.AuthzReason, err = s.str()
		default:
			err = s.skip(name)
		}
		return err
	}, func() { ev.AuthzDecision, ev.AuthzReason = "", "" })
}

// parseCode reads responseStatus.code as the map path does: an integer, or
// a number that is not one, truncated.
func parseCode(lit []byte) int64 {
	if i, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
		return i
	}
	f, _ := strconv.ParseFloat(string(lit), 64)
	return int64(f)
}

// eventText is raw as a string to slice field values from, or "" when raw
// is not valid UTF-8 (its repaired text would not line up with raw).
func eventText(raw []byte) string {
	if utf8.Valid(raw) {
		return string(raw)
	}
	return ""
}

// repairUTF8 replaces each invalid byte of raw with U+FFFD, as the decoder
// does inside strings, so that the repaired text reads back as the fields
// decoded from raw.
func repairUTF8(raw []byte) string {
	out := make([]byte, 0, len(raw)+8)
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, raw[:n]...)
		}
		raw = raw[n:]
	}
	return string(out)
}
