// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A tape is a value read by the lexer, flat, before any pdata is built:
// each object and array knows how many members it has, so that its map or
// slice is allocated once at its size. Built as the lexer reads, maps grew
// from a guess and slices from empty: a quarter more bytes per generated
// Metadata event than the body ends up holding.
type tape struct {
	ents []tapeEnt
	// text is the input as a string, or "": see str.
	text string
	b    []byte
}

// tapeEnt is one value, or one member's name (kind 'k'), in the order the
// text holds them: a container's members follow it.
type tapeEnt struct {
	start, end int // the literal's bytes, a string's quotes included
	n          int // a container's members or elements
	kind       byte
	esc        bool // a string holds an escape
}

var tapePool = sync.Pool{New: func() any { return new(tape) }}

// maxPooledTape bounds the tapes kept for reuse (entries of 32 bytes): an
// event with a huge object should not pin its tape in the pool.
const maxPooledTape = 1 << 14

func getTape(b []byte, text string) *tape {
	t := tapePool.Get().(*tape)
	t.ents, t.b, t.text = t.ents[:0], b, text
	return t
}

func putTape(t *tape) {
	if cap(t.ents) > maxPooledTape {
		t.ents = nil
	}
	t.b, t.text = nil, ""
	tapePool.Put(t)
}

// read records the value that comes next in l, which reads t.b. On a fault
// the lexer stops, and the tape is not to be built.
func (t *tape) read(l *lexer) {
	switch c := l.peek(); c {
	case '{', '[':
		closing := byte(']')
		if c == '{' {
			closing = '}'
		}
		if !l.open(c) {
			return
		}
		at := len(t.ents)
		t.ents = append(t.ents, tapeEnt{kind: c})
		n := 0
		for first := true; l.more(closing, first); first = false {
			if c == '{' {
				start, end, esc := l.name()
				if l.failed {
					return
				}
				t.ents = append(t.ents, tapeEnt{start: start, end: end, kind: 'k', esc: esc})
			}
			t.read(l)
			n++
		}
		t.ents[at].n = n
	case '"':
		start, end, esc := l.str()
		t.ents = append(t.ents, tapeEnt{start: start, end: end, kind: '"', esc: esc})
	case 't':
		l.literal("true")
		t.ents = append(t.ents, tapeEnt{kind: 't'})
	case 'f':
		l.literal("false")
		t.ents = append(t.ents, tapeEnt{kind: 'f'})
	case 'n':
		l.literal("null")
		t.ents = append(t.ents, tapeEnt{kind: 'n'})
	default:
		start := l.i
		l.number()
		t.ents = append(t.ents, tapeEnt{start: start, end: l.i, kind: '0'})
	}
}

// build sets dst to the value at entry i and returns the index after it.
func (t *tape) build(dst pcommon.Value, i int) int {
	e := t.ents[i]
	i++
	switch e.kind {
	case '{':
		m := dst.SetEmptyMap()
		m.EnsureCapacity(e.n)
		for range e.n {
			k, v := t.ents[i], t.ents[i+1]
			if v.kind == '"' { // most members: PutStr sets the value as it appends
				m.PutStr(t.str(k), t.str(v))
				i += 2
				continue
			}
			i = t.build(m.PutEmpty(t.str(k)), i+1)
		}
	case '[':
		s := dst.SetEmptySlice()
		s.EnsureCapacity(e.n)
		for range e.n {
			i = t.build(s.AppendEmpty(), i)
		}
	case '"':
		dst.SetStr(t.str(e))
	case 't':
		dst.SetBool(true)
	case 'f':
		dst.SetBool(false)
	case 'n':
		// stays an empty value
	default:
		setNumber(t.b[e.start:e.end], dst)
	}
	return i
}

// str is the text of a string literal. A string without escapes is sliced
// from text when it is set, one allocation per event instead of one per
// string; it is set only where the values live and die with one event's
// record.
func (t *tape) str(e tapeEnt) string {
	if !e.esc && t.text != "" {
		return t.text[e.start+1 : e.end-1]
	}
	return unquote(t.b[e.start:e.end])
}

// readValue reads the value that comes next in l (which reads b) into
// dst; text is b as a string, or "". On a fault the lexer fails and dst is
// left as it was.
func readValue(l *lexer, text string, dst pcommon.Value) {
	t := getTape(l.b, text)
	defer putTape(t)
	t.read(l)
	if !l.failed {
		t.build(dst, 0)
	}
}
