// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// rawFields are the top-level fields of an event that the span needs:
// the stage and its timestamps, with v1beta1's fallbacks.
var rawFields = map[string]bool{
	"stage": true, "stageTimestamp": true, "requestReceivedTimestamp": true, "timestamp": true, "metadata": true,
}

// rawDecoderOptions are those of auditevent.ParseJSON.
var rawDecoderOptions = []jsontext.Options{jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)}

type rawDecoder struct {
	r   strings.Reader
	dec *jsontext.Decoder
}

var rawDecoders = sync.Pool{New: func() any {
	d := &rawDecoder{}
	d.dec = jsontext.NewDecoder(&d.r, rawDecoderOptions...)
	return d
}}

// rawEvent reads an event's JSON text (the receiver's body_format: raw),
// decoding only rawFields and skipping the rest: the request and response
// objects, most of an event, are never decoded. What precedes a syntax
// error is kept; anything else gives an empty event.
func rawEvent(text string) auditevent.Event {
	d := rawDecoders.Get().(*rawDecoder)
	defer func() {
		d.r.Reset("")
		d.dec.Reset(&d.r, rawDecoderOptions...)
		rawDecoders.Put(d)
	}()
	d.r.Reset(text)
	d.dec.Reset(&d.r, rawDecoderOptions...)
	dec := d.dec

	fields := pcommon.NewMap()
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return auditevent.Event{}
	}
	for dec.PeekKind() == '"' {
		key, err := dec.ReadToken()
		if err != nil {
			break
		}
		if name := key.String(); rawFields[name] {
			raw, err := dec.ReadValue()
			if err != nil {
				break
			}
			v := pcommon.NewValueEmpty()
			if auditevent.ParseJSON(raw, v) == nil {
				v.MoveTo(fields.PutEmpty(name))
			}
		} else if dec.SkipValue() != nil {
			break
		}
	}
	return auditevent.FromPartialMap(fields, "")
}
