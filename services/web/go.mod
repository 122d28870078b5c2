module unisson.dev/services/web

go 1.26.8

require (
	unisson.dev/platform v0.0.0
	unisson.dev/proto v0.0.0
)

replace unisson.dev/proto => ../../proto

replace unisson.dev/platform => ../../platform
