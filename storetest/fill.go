package storetest

import (
	"fmt"
	"reflect"
	"time"
)

// Fill sets every field of the struct ptr points to, recursively, to a
// distinct non-zero value: strings "value1", "value2", ...; integers by the
// same count; booleans true; slices of two filled elements; times whole
// seconds in UTC, which every store keeps exactly. A round trip of a filled
// value fails when the type gains a field that a store or codec forgets.
// Fill panics on a kind it does not know, so a new kind of field is noticed
// here rather than left zero.
func Fill(ptr any) {
	n := 0
	fill(reflect.ValueOf(ptr).Elem(), &n)
}

func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("value%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8:
		v.SetUint(uint64(*n % 200))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(*n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n)
		fill(s.Index(1), n)
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.UnixMilli(int64(1_700_000_000_000 + *n*1000)).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), n)
		}
	default:
		panic("storetest.Fill: add a case for " + v.Kind().String())
	}
}
