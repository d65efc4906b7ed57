// Unit tests over hand-built session records live here; end-to-end rule tests on real captures
// are in tests/.
