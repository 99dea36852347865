// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"fmt"
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
		strings.Repeat("[", maxLexDepth+1) + strings.Repeat("]", maxLexDepth+1), // past jsontext's depth too
	}
	for _, in := range invalid {
		assert.False(t, lexes([]byte(in)), "lexer takes %q", in)
		assert.False(t, jsontextTakes([]byte(in)), "jsontext takes %q", in)
	}
}

// FuzzLexerAcceptsOnlyJSON: the lexer takes what jsontext takes, no more
// (the scan and ParseJSON rely on it) and no less (jsontext is asked only
// why a text was refused).
func FuzzLexerAcceptsOnlyJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\u00e9\n"`, `-1.5e-3`, `[true,false]`} {
		f.Add([]byte(s))
	}
	addMappingSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if lexed, taken := lexes(raw), jsontextTakes(raw); lexed != taken {
			t.Fatalf("the lexer takes %q: %v; jsontext: %v", raw, lexed, taken)
		}
	})
}

// FuzzTapeMatchesJSONText: ParseJSON, which builds over the lexer's tape, gives
// the value jsontext's token API gives, and fails where it fails (both
// messages are jsontext's, worded by the API that found the fault).
func FuzzTapeMatchesJSONText(f *testing.F) {
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
		if (gotErr == nil) != (wantErr == nil) {
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

// parseJSONText is ParseJSON over jsontext's token API alone (tree).
func parseJSONText(raw []byte, text string, dst pcommon.Value) error {
	pd := getDecoder(raw)
	defer putDecoder(pd)
	t := tree{dec: pd.dec, text: text}
	if err := t.value(dst); err != nil {
		return syntaxError(err)
	}
	return expectEOF(pd.dec)
}

// tree decodes JSON values into pdata over jsontext's token API, as
// ParseJSON did before the lexer: the reference FuzzTapeMatchesJSONText
// holds the lexer's build to.
type tree struct {
	dec  *jsontext.Decoder
	text string
}

// str is the text of the string literal the decoder just read.
func (t *tree) str(lit []byte) string {
	if t.text != "" && bytes.IndexByte(lit, '\\') < 0 {
		end := int(t.dec.InputOffset())
		return t.text[end-len(lit)+1 : end-1]
	}
	return unquote(lit)
}

func (t *tree) value(dst pcommon.Value) error {
	dec := t.dec
	switch dec.PeekKind() {
	case '{':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		return t.object(dst.SetEmptyMap())
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		return t.array(dst.SetEmptySlice())
	case '"':
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		dst.SetStr(t.str(raw))
		return nil
	case '0':
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		setNumber(raw, dst)
		return nil
	default:
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		switch tok.Kind() {
		case '"':
			dst.SetStr(tok.String())
		case 't':
			dst.SetBool(true)
		case 'f':
			dst.SetBool(false)
		case 'n':
			// null stays an empty value
		default:
			return fmt.Errorf("unexpected token %v", tok.Kind())
		}
		return nil
	}
}

func (t *tree) object(m pcommon.Map) error {
	dec := t.dec
	for {
		if dec.PeekKind() == '}' {
			_, err := dec.ReadToken()
			return err
		}
		// The decoder only lets a string through as a name.
		key, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if err := t.value(m.PutEmpty(t.str(key))); err != nil {
			return err
		}
	}
}

func (t *tree) array(s pcommon.Slice) error {
	dec := t.dec
	for {
		if dec.PeekKind() == ']' {
			_, err := dec.ReadToken()
			return err
		}
		if err := t.value(s.AppendEmpty()); err != nil {
			return err
		}
	}
}
