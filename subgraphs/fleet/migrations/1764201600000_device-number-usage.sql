-- Up Migration
-- Device registration through a tenant scope (fleet:write) draws ids as the application role.
grant usage on sequence fleet.device_number to cypernex_app;

-- Down Migration
revoke usage on sequence fleet.device_number from cypernex_app;
