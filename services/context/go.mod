module unisson.dev/services/context

go 1.26.8

require (
	google.golang.org/protobuf v1.36.12
	unisson.dev/proto v0.0.0
)

replace unisson.dev/proto => ../../proto

replace unisson.dev/platform => ../../platform
