package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// EnvPrefix starts the name of every environment variable Parley reads.
const EnvPrefix = "PARLEY_"

// ApplyEnv overrides settings from environment variables found by lookup
// (os.LookupEnv in Load). The variable for a key is EnvPrefix followed by
// the upper-cased key path joined with '_': hosts -> PARLEY_HOSTS,
// limits.max_stanza_bytes -> PARLEY_LIMITS_MAX_STANZA_BYTES.
//
// Values are parsed by type: strings as is (an empty value clears the
// setting, e.g. disables a listener), booleans as strconv.ParseBool,
// integers in decimal, numbers as floats, durations as Go durations
// ("30s"), lists comma-separated with items trimmed and empty items
// dropped. Every bad value is reported as an *Error naming its variable;
// the other variables are still applied.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, f := range settings(c) {
		s, ok := lookup(f.env)
		if !ok {
			continue
		}
		if err := setFromString(f.v, s); err != nil {
			errs = append(errs, &Error{Key: f.env, Msg: fmt.Sprintf("%q: %v", s, err)})
		}
	}
	return errors.Join(errs...)
}

// setting is one leaf of Config: its TOML key path, its environment
// variable and the (settable) field.
type setting struct {
	key string // "c2s.listen"
	env string // "PARLEY_C2S_LISTEN"
	v   reflect.Value
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// settings lists the leaves of c in field order.
func settings(c *Config) []setting {
	return appendSettings(nil, reflect.ValueOf(c).Elem(), "")
}

func appendSettings(out []setting, v reflect.Value, prefix string) []setting {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			// An embedded struct's keys belong to the enclosing table, as
			// the TOML decoder sees them.
			out = appendSettings(out, v.Field(i), prefix)
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		key := prefix + name
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && !fv.Addr().Type().Implements(textUnmarshaler) {
			out = appendSettings(out, fv, key+".")
			continue
		}
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		out = append(out, setting{key: key, env: env, v: fv})
	}
	return out
}

// setFromString parses s into v according to v's type.
func setFromString(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(s)); err != nil {
			if _, isDur := u.(*Duration); isDur {
				return errors.New(`not a duration (use e.g. "30s", "5m", "1h30m")`)
			}
			return err
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a boolean (use true or false)")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return errors.New("not an integer")
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), v.Type().Bits())
		if err != nil {
			return errors.New("not a number")
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported type %s", v.Type())
		}
		items := []string{}
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}
