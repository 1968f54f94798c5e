package storetest

// siteTests are the conformance tests of store.sites.
var siteTests = []storeTest{}
