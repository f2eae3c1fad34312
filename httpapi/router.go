package httpapi

import (
	"net/url"
	"strings"

	openchime "github.com/openchime/openchime"
)

type segment struct {
	literal string // "" for a label
	label   string
}

type route struct {
	op       *Operation
	segments []segment
	literals int
}

// router matches a request to an operation: method, path segments, then the
// fixed query pair that tells operations sharing a path apart.
type router struct {
	routes map[string][]*route // by method
}

func newRouter(ops []*Operation) *router {
	rt := &router{routes: map[string][]*route{}}
	for _, op := range ops {
		r := &route{op: op}
		for _, s := range strings.Split(strings.Trim(op.Path, "/"), "/") {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				r.segments = append(r.segments, segment{label: strings.Trim(s, "{}+")})
			} else {
				r.segments = append(r.segments, segment{literal: s})
				r.literals++
			}
		}
		rt.routes[op.Method] = append(rt.routes[op.Method], r)
	}
	return rt
}

// splitPath splits an escaped path into unescaped segments, so a label may
// carry an escaped "/" (semantics.md 1.2).
func splitPath(escaped string) ([]string, bool) {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// match returns the operation for method, path segments and query, with the
// label values, or an UnknownOperation error.
func (rt *router) match(method string, segs []string, q url.Values) (*Operation, []labelValue, error) {
	// Few routes tie (the operations told apart by their query pair), so
	// the ties fit in an array on the stack.
	var bestBuf [8]*route
	best := bestBuf[:0]
	bestLiterals := -1
	for _, r := range rt.routes[method] {
		if len(r.segments) != len(segs) || !r.matches(segs) {
			continue
		}
		switch {
		case r.literals > bestLiterals:
			best, bestLiterals = append(best[:0], r), r.literals
		case r.literals == bestLiterals:
			best = append(best, r)
		}
	}
	var chosen, bare *route
	for _, r := range best {
		if r.op.QueryKey == "" {
			bare = r
		} else if v, ok := q[r.op.QueryKey]; ok && len(v) > 0 && v[0] == r.op.QueryValue {
			chosen = r
		}
	}
	if chosen == nil {
		// An operation= value that names none of the path's operations is
		// an unknown operation, not the path's bare operation.
		if v := q.Get("operation"); v != "" && bare != nil {
			return nil, nil, openchime.Errorf(openchime.UnknownOperation, "No operation %q exists for %s /%s.", v, method, strings.Join(segs, "/"))
		}
		chosen = bare
	}
	if chosen == nil {
		return nil, nil, openchime.Errorf(openchime.UnknownOperation, "No Chime operation matches %s /%s.", method, strings.Join(segs, "/"))
	}
	labels := make([]labelValue, 0, len(chosen.segments)-chosen.literals)
	for i, s := range chosen.segments {
		if s.literal == "" {
			labels = append(labels, labelValue{s.label, segs[i]})
		}
	}
	return chosen.op, labels, nil
}

func (r *route) matches(segs []string) bool {
	for i, s := range r.segments {
		if s.literal != "" && s.literal != segs[i] {
			return false
		}
		if s.literal == "" && segs[i] == "" {
			return false
		}
	}
	return true
}
