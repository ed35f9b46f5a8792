# A template that forgot the output every fleetform template must have.
resource "terraform_data" "x" {
  input = "x"
}

output "something_else" {
  value = terraform_data.x.output
}
