package publish

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

// Key is the object key of an ISO: prefix + name. A non-empty prefix is a
// "directory": it gets one trailing slash and no leading one ("esxi" and
// "/esxi/" both give "esxi/NAME").
func Key(prefix, name string) string {
	p := strings.Trim(prefix, "/")
	if p == "" {
		return name
	}
	return p + "/" + name
}

// EscapePath escapes each "/"-separated segment of key for a URL path, so a
// key with spaces or "+" gives the URL that serves exactly that key.
func EscapePath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// JoinURL is base + "/" + the escaped path: base is a URL prefix the user
// gave (the public or image URL prefix), path a key or a file name.
func JoinURL(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + EscapePath(path)
}

// ObjectURL derives the public https URL of bucket/key when no public URL
// prefix is given: path-style https://endpoint/bucket/key, or virtual-hosted
// https://bucket.endpoint-host/key; for AWS (endpoint "") the regional
// s3.REGION.amazonaws.com endpoint.
func ObjectURL(endpoint, region string, pathStyle bool, bucket, key string) (string, error) {
	if endpoint == "" {
		if region == "" {
			return "", &option.Error{Option: "s3-region", Msg: "the public URL of an AWS bucket needs its region",
				Fix: "pass {s3-region} (or set AWS_REGION), or give {public-url-prefix}"}
		}
		host := "s3." + region + ".amazonaws.com"
		if strings.HasPrefix(region, "cn-") {
			host += ".cn"
		}
		endpoint = "https://" + host
	}
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || u.Host == "" || u.Scheme != "https" {
		return "", &option.Error{Option: "s3-endpoint", Msg: fmt.Sprintf("%q is not an https:// URL", endpoint),
			Fix: "give the store's endpoint as https://host[:port]"}
	}
	if pathStyle {
		return u.String() + "/" + url.PathEscape(bucket) + "/" + EscapePath(key), nil
	}
	u.Host = bucket + "." + u.Host
	return u.String() + "/" + EscapePath(key), nil
}
