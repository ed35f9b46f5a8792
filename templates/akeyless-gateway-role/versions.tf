terraform {
  # Older than anything fleetform is tested with; nothing here needs more.
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
