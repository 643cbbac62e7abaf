-- bench/pypi.lua - wrk requests for the Python index rows of `make bench`:
--   wrk -s pypi.lua <url> -- <Accept header value>
-- every request carries that Accept (PEP 691: the JSON project page)
function init(args)
	wrk.headers["Accept"] = args[1]
end
