// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// bodyPath is a parsed user path into the event body: keys separated by
// dots ("\." is a dot inside a key), "*" for every key of a map. A list met
// on the way is crossed: the rest of the path applies to each element.
type bodyPath []string

func parsePath(s string) (bodyPath, error) {
	if s == "" {
		return nil, errors.New("empty path")
	}
	var segs bodyPath
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '.':
			cur.WriteByte('.')
			i++
		case s[i] == '.':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	segs = append(segs, cur.String())
	for _, seg := range segs {
		if seg == "" {
			return nil, fmt.Errorf("path %q has an empty key", s)
		}
	}
	return segs, nil
}

func mustParsePaths(paths []string) []bodyPath {
	out := make([]bodyPath, 0, len(paths))
	for _, p := range paths {
		bp, err := parsePath(p)
		if err != nil {
			// Validate has refused it already.
			continue
		}
		out = append(out, bp)
	}
	return out
}

// remove deletes what the path points at and returns how many values it removed.
func (p bodyPath) remove(m pcommon.Map) int {
	return p.visit(m, func(parent pcommon.Map, key string) int {
		if key == "*" {
			n := parent.Len()
			parent.Clear()
			return n
		}
		if parent.Remove(key) {
			return 1
		}
		return 0
	})
}

// mask replaces what the path points at with the mask and returns how many
// values it masked.
func (p bodyPath) mask(m pcommon.Map) int {
	return p.visit(m, func(parent pcommon.Map, key string) int {
		if key != "*" {
			if v, ok := parent.Get(key); ok && !isMask(v) {
				v.SetStr(redactedMask)
				return 1
			}
			return 0
		}
		n := 0
		parent.Range(func(_ string, v pcommon.Value) bool {
			if !isMask(v) {
				v.SetStr(redactedMask)
				n++
			}
			return true
		})
		return n
	})
}

func isMask(v pcommon.Value) bool {
	return v.Type() == pcommon.ValueTypeStr && v.Str() == redactedMask
}

func (p bodyPath) visit(m pcommon.Map, fn func(parent pcommon.Map, key string) int) int {
	if len(p) == 1 {
		return fn(m, p[0])
	}
	n := 0
	if p[0] == "*" {
		m.Range(func(_ string, v pcommon.Value) bool {
			n += p[1:].visitValue(v, fn)
			return true
		})
		return n
	}
	if v, ok := m.Get(p[0]); ok {
		n += p[1:].visitValue(v, fn)
	}
	return n
}

func (p bodyPath) visitValue(v pcommon.Value, fn func(parent pcommon.Map, key string) int) int {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		return p.visit(v.Map(), fn)
	case pcommon.ValueTypeSlice:
		n := 0
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			n += p.visitValue(s.At(i), fn)
		}
		return n
	default:
		return 0
	}
}
