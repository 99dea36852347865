// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"strconv"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// scanEvent reads an event for body_format: raw in one pass: the fields the
// mapping needs go straight into an Event, and everything else (the request
// and response objects above all) is only syntax-checked, never built. It
// accepts and refuses exactly what ParseJSON followed by FromMap does, with
// the same errors. text is raw as a string when raw is valid UTF-8, else "":
// strings without escapes are then sliced from it instead of copied.
func scanEvent(raw []byte, text, defaultAPIVersion string) (Event, error) {
	s := scanner{l: lexer{b: raw}, text: text}
	ev, f := newScannedEvent()
	s.event(&ev, &f)
	if s.general || !s.l.atEOF() {
		// What the scan cannot settle the general decoder does, with its
		// messages: a document that is not an object, a syntax error, or
		// an escaped member name, which may spell one of the fields.
		return scanGeneral(raw, defaultAPIVersion)
	}
	err := f.finish(&ev, defaultAPIVersion)
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
	raw := unsafe.Slice(unsafe.StringData(text), len(text)) // only read
	if !utf8.ValidString(text) {
		ev, err = scanEvent(raw, "", "")
	} else {
		ev, err = scanEvent(raw, text, "")
	}
	ev.materializeLists()
	return ev, err
}

// scannedFields are what validation and the timestamps need beyond Event.
type scannedFields struct {
	kind, apiVersion checked
	timeFields       // the stage is read into Event.Stage
}

// scanner reads the fields of an event from its text with a lexer. A
// syntax error stops the lexer, and the caller then reads the text with
// the general decoder, so the scan's reads need not check for one.
type scanner struct {
	l    lexer
	text string
	// general is set on a member name with escapes, which the scan does
	// not unquote: the general decoder then reads the event.
	general bool
	// unquoteNames reads escaped member names instead, for a reader that
	// has no general decoder to fall back on.
	unquoteNames bool
}

func (s *scanner) event(ev *Event, f *scannedFields) {
	if s.l.peek() != '{' {
		s.general = true
		return
	}
	s.members(func(name []byte) {
		switch string(name) {
		case "kind":
			f.kind = s.checked()
		case "apiVersion":
			f.apiVersion = s.checked()
		case "level":
			ev.Level = s.str()
		case "auditID":
			ev.AuditID = s.str()
		case "stage":
			ev.Stage = s.str()
		case "requestURI":
			ev.RequestURI = s.str()
		case "verb":
			ev.Verb = s.str()
		case "userAgent":
			ev.UserAgent = s.str()
		case "user":
			s.user(ev, &ev.User, listUserGroups)
		case "impersonatedUser":
			s.user(ev, &ev.ImpersonatedUser, listImpersonatedGroups)
		case "sourceIPs":
			s.list(ev, listSourceIPs)
		case "objectRef":
			ev.ObjectRef = s.objectRef()
		case "responseStatus":
			s.responseStatus(ev)
		case "annotations":
			s.annotations(ev)
		default:
			s.timeField(name, &f.timeFields)
		}
	})
}

// members calls member with the name of each member of the object that
// comes next, which must read its value (or skip it). A name with escapes
// is never one the scan reads as such, but may spell one: the general
// decoder then reads the event (unless unquoteNames).
func (s *scanner) members(member func(name []byte)) {
	l := &s.l
	if !l.open('{') {
		return
	}
	for first := true; l.more('}', first); first = false {
		start, end, esc := l.name()
		if l.failed {
			return
		}
		name := l.b[start+1 : end-1]
		switch {
		case esc && !s.unquoteNames:
			s.general = true
			l.fail()
			return
		case esc:
			name = []byte(unquote(l.b[start:end]))
		}
		member(name)
	}
}

// str reads a value that the mapping wants as a string: anything else reads
// as "", as str() on a map does.
func (s *scanner) str() string {
	if s.l.peek() != '"' {
		s.l.skip()
		return ""
	}
	start, end, esc := s.l.str()
	if s.l.failed {
		return ""
	}
	if !esc && s.text != "" {
		return s.text[start+1 : end-1]
	}
	return unquote(s.l.b[start:end])
}

// checked reads a field that validation looks at; only a value that is not
// a string, which validation refuses, is decoded in full.
func (s *scanner) checked() checked {
	if s.l.peek() == '"' {
		return checked{present: true, str: s.str()}
	}
	v := pcommon.NewValueEmpty()
	s.value(v)
	return checked{present: true, notStr: true, other: v}
}

// value reads a value of any kind into dst, as the general decoder would.
func (s *scanner) value(dst pcommon.Value) {
	lit := s.l.value()
	if !s.l.failed && ParseJSON(lit, dst) != nil {
		s.l.fail() // the lexer checked it: cannot happen
	}
}

// object reads an object as members does. A value that is not an object is
// skipped, and reset is called in either case, as a later value of the same
// name hides an earlier object.
func (s *scanner) object(member func(name []byte), reset func()) {
	reset()
	if s.l.peek() != '{' {
		s.l.skip()
		return
	}
	s.members(member)
}

// creationTimestamp reads v1beta1's metadata.creationTimestamp into dst.
func (s *scanner) creationTimestamp(dst *string) {
	s.object(func(name []byte) {
		if string(name) == "creationTimestamp" {
			*dst = s.str()
			return
		}
		s.l.skip()
	}, func() { *dst = "" })
}

// user reads a user block into u, one of ev's, whose groups are list id.
func (s *scanner) user(ev *Event, u *UserInfo, id listID) {
	s.object(func(name []byte) {
		switch string(name) {
		case "username":
			u.Username = s.str()
		case "uid":
			u.UID = s.str()
		case "groups":
			s.list(ev, id)
		default:
			s.l.skip()
		}
	}, func() { *u, ev.lists[id] = UserInfo{Groups: emptySlice}, strList{} })
}

func (s *scanner) objectRef() ObjectRef {
	var ref ObjectRef
	s.object(func(name []byte) {
		switch string(name) {
		case "resource":
			ref.Resource = s.str()
		case "namespace":
			ref.Namespace = s.str()
		case "name":
			ref.Name = s.str()
		case "uid":
			ref.UID = s.str()
		case "apiGroup":
			ref.APIGroup = s.str()
		case "apiVersion":
			ref.APIVersion = s.str()
		case "subresource":
			ref.Subresource = s.str()
		default:
			s.l.skip()
		}
	}, func() { ref = ObjectRef{} })
	return ref
}

func (s *scanner) responseStatus(ev *Event) {
	s.object(func(name []byte) {
		switch string(name) {
		case "code":
			if c := s.l.peek(); c != '-' && (c < '0' || c > '9') {
				ev.ResponseCode = 0
				s.l.skip()
				return
			}
			if lit := s.l.number(); !s.l.failed {
				ev.ResponseCode = parseCode(lit)
			}
		case "reason":
			ev.ResponseReason = s.str()
		default:
			s.l.skip()
		}
	}, func() { ev.ResponseCode, ev.ResponseReason = 0, "" })
}

func (s *scanner) annotations(ev *Event) {
	s.object(func(name []byte) {
		switch string(name) {
		case annotationAuthzDecison:
			ev.AuthzDecision = s.str()
		case annotationAuthzReason:
			ev.AuthzReason = s.str()
		default:
			s.l.skip()
		}
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
