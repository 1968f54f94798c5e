package storetest

// sharingTests are the conformance tests of store.sharing.
var sharingTests = []storeTest{}
