package storetest

// tokenTests are the conformance tests of store.tokens.
var tokenTests = []storeTest{}
