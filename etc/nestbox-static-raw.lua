-- nestbox-static-raw.lua: lighttpd's mod_magnet guard of the static
-- mappings of mip package JSON and the mip index in
-- etc/nestbox-lighttpd.conf (run before they are mapped).  mod_rewrite
-- and the file lookup see the target as lighttpd normalized it ("//", "."
-- and ".." segments removed, escapes of unreserved characters decoded),
-- while the programs read the target as sent (REQUEST_URI) and refuse such
-- paths: a target spelled so (or with an escape or a '+', the program's to
-- decode) is given back to the program of its prefix, which answers it
-- from the original target.
local r = lighty.r
local orig = r.req_attr["request.orig-uri"]
local q = orig:find("?", 1, true)
local path = q and orig:sub(1, q - 1) or orig
-- (plain searches: a pattern's character classes cost per character, on
-- every request this script runs for)
if not (orig:find("%", 1, true) or orig:find("+", 1, true) or path:find("//", 1, true) or
	path:find("/./", 1, true) or path:find("/../", 1, true) or path:sub(-2) == "/." or
	path:sub(-3) == "/..") then
	return 0
end
if path:find("^/mip/") then
	-- mip-index.fcgi's URL space (it routes on the original target)
	r.req_attr["request.uri"] = "/mip/dynamic/raw"
	return lighty.RESTART_REQUEST
end
-- a 404 of lighttpd's own: server.error-handler hands the request to the
-- program with none of the static mapping's headers
return 404
