# platforms
