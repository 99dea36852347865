// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"encoding/binary"
	"math/bits"
)

// lexer reads JSON text: the events of a log, the items of a webhook body,
// a body to build as a map. It takes what jsontext, with the receiver's
// options, takes (FuzzLexerAcceptsOnlyJSON holds it to that), but on a
// fault it only stops: the caller then has jsontext read the text for the
// message saying what is wrong. So the lexer needs no error messages.
//
// It exists for speed: the scan over jsontext's token API, one call per
// name and value, took 2.3 µs per generated Metadata event, where
// jsontext's check of the whole text alone took 0.85; over the lexer, which
// looks at strings eight bytes at a time, the scan takes 1.3 µs.
type lexer struct {
	b     []byte
	i     int
	depth int
	// failed is sticky: once set, every read returns nothing and every
	// loop ends, so the scan runs out without checking at each step.
	failed bool
}

// maxLexDepth is jsontext's limit on nesting, so that both refuse the same
// text.
const maxLexDepth = 10000

func (l *lexer) fail() {
	l.failed = true
	l.i = len(l.b)
}

// peek skips whitespace and returns the next byte, 0 at the end.
func (l *lexer) peek() byte {
	// Compact JSON, as the log backend writes it, has no whitespace.
	if l.i < len(l.b) && l.b[l.i] > ' ' {
		return l.b[l.i]
	}
	return l.peekSlow()
}

func (l *lexer) peekSlow() byte {
	b, i := l.b, l.i
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
			// Indented text has runs of spaces.
			for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:]) == lsb*' ' {
				i += 8
			}
		default:
			l.i = i
			return b[i]
		}
	}
	l.i = i
	return 0
}

// atEOF reports that only whitespace is left.
func (l *lexer) atEOF() bool {
	l.peek()
	return l.i == len(l.b) && !l.failed
}

// open consumes c ('{' or '['), which must come next.
func (l *lexer) open(c byte) bool {
	if l.peek() != c || l.depth >= maxLexDepth {
		l.fail()
		return false
	}
	l.i++
	l.depth++
	return true
}

// more reports whether the object or array being read has another member,
// consuming the comma before it, or else its closing byte. first says that
// none was read yet.
func (l *lexer) more(closing byte, first bool) bool {
	switch l.peek() {
	case closing:
		l.i++
		l.depth--
		return false
	case ',':
		if first {
			l.fail()
			return false
		}
		l.i++
		return true
	default:
		if !first {
			l.fail()
			return false
		}
		return !l.failed
	}
}

// name reads a member name and the colon after it, and returns the name's
// bounds as str does.
func (l *lexer) name() (start, end int, esc bool) {
	start, end, esc = l.str()
	if l.peek() != ':' {
		l.fail()
		return 0, 0, false
	}
	l.i++
	return start, end, esc
}

// str reads a string and returns the bounds of its literal, quotes
// included, and whether it holds an escape.
func (l *lexer) str() (start, end int, esc bool) {
	if l.peek() != '"' {
		l.fail()
		return 0, 0, false
	}
	b := l.b
	start = l.i
	i := start + 1
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control character (bytes of 0x80 and up are not flagged).
		// The lowest flagged byte is always a true one.
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if m := hasZero(w^(lsb*'"')) | hasZero(w^(lsb*'\\')) | hasLess(w, 0x20); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			l.fail()
			return 0, 0, false
		}
		switch c := b[i]; {
		case c == '"':
			l.i = i + 1
			return start, l.i, esc
		case c == '\\':
			esc = true
			n := escapeLen(b[i+1:])
			if n == 0 {
				l.fail()
				return 0, 0, false
			}
			i += 1 + n
		case c < 0x20:
			l.fail()
			return 0, 0, false
		default:
			i++
		}
	}
}

const lsb = 0x0101010101010101

// hasZero is non-zero when a byte of w is zero; it may flag bytes above a
// zero byte too, which only sends the loop to look at them one by one.
func hasZero(w uint64) uint64 { return (w - lsb) & ^w & (lsb * 0x80) }

// hasLess is non-zero when a byte of w is below n (n ≤ 0x80), with the
// same kind of false alarm.
func hasLess(w uint64, n byte) uint64 { return (w - lsb*uint64(n)) & ^w & (lsb * 0x80) }

// escapeLen is the length of the escape after a backslash, 0 when it is
// not one.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) < 5 || !isHex(b[1]) || !isHex(b[2]) || !isHex(b[3]) || !isHex(b[4]) {
			return 0
		}
		return 5
	}
	return 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads a number as JSON spells it and returns its literal.
func (l *lexer) number() []byte {
	b := l.b
	start := l.i
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		l.fail()
		return nil
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			l.fail()
			return nil
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			l.fail()
			return nil
		}
		i = j
	}
	l.i = i
	return b[start:i]
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// literal reads true, false or null.
func (l *lexer) literal(word string) {
	if len(l.b)-l.i < len(word) || string(l.b[l.i:l.i+len(word)]) != word {
		l.fail()
		return
	}
	l.i += len(word)
}

// skip reads a value of any kind, checking its syntax.
func (l *lexer) skip() {
	switch l.peek() {
	case '{':
		if !l.open('{') {
			return
		}
		for first := true; l.more('}', first); first = false {
			l.name()
			l.skip()
		}
	case '[':
		if !l.open('[') {
			return
		}
		for first := true; l.more(']', first); first = false {
			l.skip()
		}
	case '"':
		l.str()
	case 't':
		l.literal("true")
	case 'f':
		l.literal("false")
	case 'n':
		l.literal("null")
	default:
		l.number()
	}
}

// value reads a value of any kind and returns its text.
func (l *lexer) value() []byte {
	l.peek()
	start := l.i
	l.skip()
	if l.failed {
		return nil
	}
	return l.b[start:l.i]
}
