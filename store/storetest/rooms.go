package storetest

// roomTests are the conformance tests of store.rooms.
var roomTests = []storeTest{}
