-- When the terraform recorded in terraform_pid started (clock ticks since boot, from
-- /proc/<pid>/stat), so a later run can tell that terraform from an unrelated process
-- that was given the same pid after a reboot.
ALTER TABLE jobs ADD COLUMN terraform_started INTEGER;
