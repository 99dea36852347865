// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// lexes reports whether the lexer takes raw as one JSON value.
func lexes(raw []byte) bool {
	l := lexer{b: raw}
	l.skip()
	return l.atEOF()
}

// jsontextTakes reports whether the general decoder takes raw as one JSON
// value, with the receiver's options.
func jsontextTakes(raw []byte) bool {
	dec := jsontext.NewDecoder(strings.NewReader(string(raw)), decoderOptions...)
	if _, err := dec.ReadValue(); err != nil {
		return false
	}
	return expectEOF(dec) == nil
}

func TestLexerTakesWhatJSONIs(t *testing.T) {
	valid := []string{
		`{}`, `[]`, ` {"a" : [ 1 , -0.5e+3 , true , false , null , "x" ] } `, "\t{\"a\":{}}\r\n",
		`"\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00 \ud800"`, // a lone surrogate: U+FFFD, as jsontext reads it
		`0`, `-0`, `1.0`, `1e5`, `1E-5`, `123456789012345678901234567890`,
		`"0123456789abcdef0123456789abcdef"`, `"ünïcödé über acht Bytes"`, `{"a":1,"a":2}`,
		strings.Repeat("[", maxLexDepth) + strings.Repeat("]", maxLexDepth),
	}
	for _, in := range valid {
		assert.True(t, jsontextTakes([]byte(in)), "jsontext refuses %q", in)
		assert.True(t, lexes([]byte(in)), "lexer refuses %q", in)
	}
	invalid := []string{
		``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{1:2}`, `[1,]`, `[,1]`,
		`[1 2]`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`, `tru`, `truex`, `nul`, `NaN`,
		`"abc`, `"a` + "\x01" + `b"`, "\"tab\there\"", `"\x"`, `"\u12"`, `"\u12G4"`, `"\`, `"12345678\`,
		`{} {}`, `{}x`, `"a" "b"`, "{\"a\":1}\x00",
		strings.Repeat("[", maxLexDepth+1) + strings.Repeat("]", maxLexDepth+1), // valid, but past the lexer's depth
	}
	for _, in := range invalid {
		assert.False(t, lexes([]byte(in)), "lexer takes %q", in)
	}
}

// FuzzLexerAcceptsOnlyJSON: what the lexer takes, jsontext takes (the scan
// relies on it), and valid UTF-8 that jsontext takes within the lexer's
// depth, the lexer takes too (else the scan would be needlessly slow).
func FuzzLexerAcceptsOnlyJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\u00e9\n"`, `-1.5e-3`, `[true,false]`} {
		f.Add([]byte(s))
	}
	addMappingSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		lexed, taken := lexes(raw), jsontextTakes(raw)
		if lexed && !taken {
			t.Fatalf("the lexer takes %q, jsontext does not", raw)
		}
		if taken && !lexed && utf8.Valid(raw) && strings.Count(string(raw), "[")+strings.Count(string(raw), "{") < maxLexDepth {
			t.Fatalf("jsontext takes %q, the lexer does not", raw)
		}
	})
}

// FuzzLexTreeMatchesJSONText: ParseJSON, which builds with the lexer first,
// gives the value and the error jsontext's reader alone gives.
func FuzzLexTreeMatchesJSONText(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}],"d":-1.5e3,"e":true,"a":false}`, `"\u00e9\n"`, `[{}]`, `{"x":"\ud800"}`} {
		f.Add([]byte(s))
	}
	addMappingSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		text := ""
		if utf8.Valid(raw) {
			text = string(raw)
		}
		got, want := pcommon.NewValueEmpty(), pcommon.NewValueEmpty()
		gotErr, wantErr := parseJSON(raw, text, got), parseJSONText(raw, text, want)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("errors differ: %v, jsontext %v", gotErr, wantErr)
		}
		if gotErr == nil && !got.Equal(want) {
			t.Fatalf("values differ: %v, jsontext %v", got.AsRaw(), want.AsRaw())
		}
	})
}

// addMappingSeeds seeds f with the events of the mapping tests: real ones
// from the fixtures and the odd shapes.
func addMappingSeeds(f *testing.F) {
	paths, err := filepath.Glob("testdata/mapping/*.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no mapping events: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
}
