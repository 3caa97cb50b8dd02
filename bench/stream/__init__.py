"""`make bench-stream`: events per second from the events topic to the edge table, through a
real broker and a real worker, against a naive Faust pipeline; memory and query latency at
production size and ten times it. See docs/performance.md."""
