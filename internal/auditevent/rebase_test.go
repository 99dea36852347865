// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// within reports that s's bytes lie in text's memory.
func within(s, text string) bool {
	if s == "" {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	return p >= start && p < start+uintptr(len(text))
}

var sliceType = reflect.TypeFor[pcommon.Slice]()

// stringFields finds, by reflection, every string and pcommon.Slice field
// of an Event, nested structs included: a field added to Event is found
// here.
func stringFields(v reflect.Value, strs map[string]*string, slices map[string]*pcommon.Slice, path string) {
	switch {
	case v.Type() == sliceType:
		slices[path] = v.Addr().Interface().(*pcommon.Slice)
	case v.Kind() == reflect.String:
		strs[path] = v.Addr().Interface().(*string)
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				stringFields(v.Field(i), strs, slices, path+"."+f.Name)
			}
		}
	}
}

func TestRebaserMovesEveryStringField(t *testing.T) {
	var ev Event
	fields, slices := map[string]*string{}, map[string]*pcommon.Slice{}
	stringFields(reflect.ValueOf(&ev).Elem(), fields, slices, "Event")
	require.Greater(t, len(fields), 15)
	require.Len(t, slices, 3)

	from := strings.Repeat("payload text ", 200)
	off := 13
	r := rebaser{from: from, off: off, to: strings.Clone(from[off : off+1000])}
	i := 0
	for _, p := range fields {
		*p = from[off+i : off+i+5] // each a slice of the item's span
		i += 7
	}
	for _, p := range slices {
		*p = pcommon.NewSlice()
		p.AppendEmpty().SetStr(from[off+i : off+i+5])
		i += 7
	}
	outside := from[off+1000 : off+1005] // past the item: left alone
	ev.Body = pcommon.NewMap()

	r.event(&ev)
	for path, p := range fields {
		assert.True(t, within(*p, r.to), "%s not moved onto the item's text", path)
	}
	for path, p := range slices {
		assert.True(t, within(p.At(0).Str(), r.to), "%s not moved onto the item's text", path)
	}
	long := from[off : off+len(r.to)+1] // longer than the item: left alone, no panic
	assert.True(t, within(r.str(long), from))
	assert.Equal(t, outside, r.str(outside))
	assert.True(t, within(r.str(outside), from))
}

// TestRawItemsKeepNoPayloadText: no string of a record read in place from a
// webhook payload shares the payload's text, which would keep it alive.
func TestRawItemsKeepNoPayloadText(t *testing.T) {
	payload := []byte(`[{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-1",` +
		`"stage":"stage-x","requestURI":"/uri?q","verb":"verb-x","userAgent":"agent-x",` +
		`"user":{"username":"user-x","uid":"uid-x","groups":["group-x"]},` +
		`"impersonatedUser":{"username":"imp-x","uid":"imp-uid","groups":["imp-group"]},` +
		`"sourceIPs":["10.9.8.7","10.9.8.6"],` +
		`"objectRef":{"resource":"res-x","namespace":"ns-x","name":"name-x","uid":"ouid-x","apiGroup":"group.x","apiVersion":"v-x","subresource":"sub-x"},` +
		`"responseStatus":{"code":200,"reason":"reason-x"},` +
		`"annotations":{"authorization.k8s.io/decision":"decision-x","authorization.k8s.io/reason":"why-x"},` +
		`"requestReceivedTimestamp":"2026-11-22T13:28:46.771358Z","stageTimestamp":"2026-11-22T13:28:46.771358Z"}]`)
	payload = []byte(strings.Replace(string(payload), `"stage-x"`, `"ResponseComplete"`, 1))
	text := string(payload)
	pd := getDecoder(payload)
	defer putDecoder(pd)
	_, err := pd.dec.ReadToken()
	require.NoError(t, err)
	lrs := plog.NewLogRecordSlice()
	c := Converter{RawBody: true}
	counts, err := c.appendItems(pd.dec, lrs, payload, text, "", testObserved)
	require.NoError(t, err)
	require.Equal(t, Counts{Events: 1}, counts)

	lr := lrs.At(0)
	assert.Equal(t, text[1:len(text)-1], lr.Body().Str())
	assert.False(t, within(lr.Body().Str(), text), "body shares the payload's text")
	n := 0
	var walk func(v pcommon.Value, key string)
	walk = func(v pcommon.Value, key string) {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			n++
			assert.False(t, within(v.Str(), text), "%s shares the payload's text", key)
		case pcommon.ValueTypeSlice:
			for _, e := range v.Slice().All() {
				walk(e, key)
			}
		}
	}
	for k, v := range lr.Attributes().All() {
		walk(v, k)
	}
	assert.Greater(t, n, 25, "every attribute the event yields is checked")
}
