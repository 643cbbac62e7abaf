-- nestbox-static-raw.lua: lighttpd's mod_magnet guard of the static mkbox
-- mappings (etc/nestbox-lighttpd.conf), run once a request was mapped into
-- the tree.  mod_rewrite maps the target as lighttpd normalized it ("//",
-- "." and ".." segments removed, escapes of unreserved characters
-- decoded), while the programs read the target as sent (REQUEST_URI) and
-- refuse such paths: a target spelled so is given back to the program of
-- its prefix, which answers it from the original target (an escape too:
-- it is the program's to decode).
local r = lighty.r
local orig = r.req_attr["request.orig-uri"]
local path = orig:match("^[^?]*")
if not (orig:find("%", 1, true) or path:find("//", 1, true) or path:find("/%.%.?/") or
	path:find("/%.%.?$")) then
	return 0
end
-- a 404 of lighttpd's own: server.error-handler hands the request to the
-- program with none of the static mapping's headers
return 404
