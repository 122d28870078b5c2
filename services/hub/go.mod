module unisson.dev/services/hub

go 1.26.8

require (
	unisson.dev/platform v0.0.0
	unisson.dev/proto v0.0.0
	unisson.dev/services/context v0.0.0
	unisson.dev/services/web v0.0.0
)

replace unisson.dev/proto => ../../proto

replace unisson.dev/platform => ../../platform

replace unisson.dev/services/context => ../context

replace unisson.dev/services/web => ../web
