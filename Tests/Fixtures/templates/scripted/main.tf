# A provider-free stand-in for the real template, for scheduler tests: it "creates" a
# role ARN with terraform_data and runs a shell script whose behaviour the test controls
# through files in $FLEETFORM_FIXTURE_CONTROL (sleep, fail, fail transiently N times).
# The error words are split in the script ("Thrott""ling") so that only the output, not
# the command text terraform quotes in its error, carries them.

variable "account_id" {
  type = string
}

variable "role_name" {
  type = string
}

variable "region" {
  type = string
}

# Declared (and unused) like the real template's, so that preflight checks these accounts.
variable "access_role_name" {
  type    = string
  default = ""
}

resource "terraform_data" "role" {
  input = "arn:aws:iam::${var.account_id}:role/${var.role_name}"

  provisioner "local-exec" {
    interpreter = ["/bin/sh", "-c"]
    command     = <<-EOT
      ctl="$FLEETFORM_FIXTURE_CONTROL"
      a="${var.account_id}"
      [ -n "$ctl" ] || exit 0
      echo "start $a $(date +%s.%N)" >> "$ctl/events"
      if [ -f "$ctl/$a.sleep" ]; then sleep "$(cat "$ctl/$a.sleep")"; fi
      if [ -f "$ctl/sleep" ]; then sleep "$(cat "$ctl/sleep")"; fi
      if [ -f "$ctl/$a.transient" ]; then
        n=$(cat "$ctl/$a.transient")
        if [ "$n" -gt 0 ]; then
          echo $((n - 1)) > "$ctl/$a.transient"
          echo "end $a $(date +%s.%N)" >> "$ctl/events"
          echo "Thrott""ling: Rate exceeded (injected for $a)" >&2
          exit 1
        fi
      fi
      if [ -f "$ctl/$a.fail" ]; then
        echo "end $a $(date +%s.%N)" >> "$ctl/events"
        echo "Access""Denied: injected failure for $a" >&2
        exit 1
      fi
      echo "end $a $(date +%s.%N)" >> "$ctl/events"
      echo "applied $a" >> "$ctl/applied"
    EOT
  }
}

output "role_arn" {
  value = terraform_data.role.output
}

output "policy_arn" {
  value = "arn:aws:iam::${var.account_id}:policy/${var.role_name}-policy"
}
