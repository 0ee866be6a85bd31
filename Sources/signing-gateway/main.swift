print("signing-gateway")
